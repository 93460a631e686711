autoreconf -fi
./configure --prefix="$PREFIX" --sysconfdir="$ETC"
make -j"$(nproc)" && make install
