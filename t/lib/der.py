"""DER by hand for tests that need encodings libcrypto would not write:
L (a length), T (a tag and its content), SEQ, INT and OID.  Imported by
the Python a test writes into $T, with t/lib on sys.path."""


def L(n):
    if n < 128:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, 'big')
    return bytes([0x80 | len(b)]) + b


def T(tag, c):
    return bytes([tag]) + L(len(c)) + c


def INT(v):
    return T(0x02, v.to_bytes(v.bit_length() // 8 + 1, 'big'))


def OID(s):
    p = [int(x) for x in s.split('.')]
    out = bytes([40 * p[0] + p[1]])
    for v in p[2:]:
        enc = [v & 0x7f]
        v >>= 7
        while v:
            enc.append(0x80 | (v & 0x7f))
            v >>= 7
        out += bytes(reversed(enc))
    return T(0x06, out)


def SEQ(*a):
    return T(0x30, b''.join(a))
