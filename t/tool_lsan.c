/*
 * Linked into the test tools (t/cmptool and the other request makers),
 * not into cmpd, cmpctl, cmp-localca, the unit tests or the fuzz targets.
 *
 * Under --enable-asan the tools' memory is checked like the product's,
 * but not their leaks at exit: LeakSanitizer's scan at exit costs about
 * 35 ms, nearly half of a tool's run, and the tests run the tools
 * hundreds of times in the ASan+UBSan pass. A tool exits right after
 * its one job; what it leaks then is nobody's.
 */
#if defined(__SANITIZE_ADDRESS__)
int __lsan_is_turned_off(void);

int
__lsan_is_turned_off(void)
{
	return 1;
}
#endif
