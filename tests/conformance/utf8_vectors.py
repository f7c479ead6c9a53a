"""The UTF-8 test vectors of Autobahn|Testsuite's cases 6.5 to 6.23, in its order (so the case ids match).

They follow Markus Kuhn's "UTF-8 decoder capability and stress test" sections; each vector is a fact
(a byte string and whether it is valid UTF-8 under RFC 3629), written out here, not copied code.
`groups()` returns [(title, [(valid, bytes), ...]), ...]; group i is case 6.(5 + i), vector j case 6.x.(j + 1).
"""

KOSME = bytes.fromhex("cebae1bdb9cf83cebcceb5")  # "κόσμε", Kuhn's sample text


def _valid(b: bytes) -> bool:
    try:
        b.decode("utf-8", errors="strict")
        return True
    except UnicodeDecodeError:
        return False


def groups():
    g = []
    g.append(("Some valid UTF-8 sequences", [
        (True, b"hello$world"),                 # U+0024
        (True, b"hello\xc2\xa2world"),          # U+00A2
        (True, b"hello\xe2\x82\xacworld"),      # U+20AC
        (True, b"hello\xf0\xa4\xad\xa2world"),  # U+24B62
        (True, KOSME),
    ]))
    # Every prefix: valid exactly when it ends on a code point boundary.
    g.append(("All prefixes of a valid UTF-8 string that contains multi-byte code points",
              [(_valid(KOSME[:i]), KOSME[:i]) for i in range(1, len(KOSME) + 1)]))
    g.append(("First possible sequence of a certain length", [
        (True, b"\x00"), (True, b"\xc2\x80"), (True, b"\xe0\xa0\x80"), (True, b"\xf0\x90\x80\x80")]))
    g.append(("First possible sequence length 5/6 (invalid codepoints)", [
        (False, b"\xf8\x88\x80\x80\x80"), (False, b"\xfc\x84\x80\x80\x80\x80")]))
    g.append(("Last possible sequence of a certain length", [
        (True, b"\x7f"), (True, b"\xdf\xbf"), (True, b"\xef\xbf\xbf"), (True, b"\xf4\x8f\xbf\xbf")]))
    g.append(("Last possible sequence length 4/5/6 (invalid codepoints)", [
        (False, b"\xf7\xbf\xbf\xbf"), (False, b"\xfb\xbf\xbf\xbf\xbf"), (False, b"\xfd\xbf\xbf\xbf\xbf\xbf")]))
    g.append(("Other boundary conditions", [
        (True, b"\xed\x9f\xbf"), (True, b"\xee\x80\x80"), (True, b"\xef\xbf\xbd"), (True, b"\xf4\x8f\xbf\xbf"),
        (False, b"\xf4\x90\x80\x80")]))
    g.append(("Unexpected continuation bytes", [
        (False, b"\x80"), (False, b"\xbf"), (False, b"\x80\xbf"), (False, b"\x80\xbf\x80"),
        (False, b"\x80\xbf\x80\xbf"), (False, b"\x80\xbf\x80\xbf\x80"), (False, b"\x80\xbf\x80\xbf\x80\xbf"),
        (False, bytes(range(0x80, 0xbf)))]))  # 0x80..0xbe, as in the original
    # Each start byte of a range followed by a space (the range's last byte excluded, as in the original).
    g.append(("Lonely start characters", [
        (False, b"".join(bytes([c, 0x20]) for c in range(lo, hi)))
        for lo, hi in ((0xc0, 0xdf), (0xe0, 0xef), (0xf0, 0xf7), (0xf8, 0xfb), (0xfc, 0xfd))]))
    missing_last = [b"\xc0", b"\xe0\x80", b"\xf0\x80\x80", b"\xf8\x80\x80\x80", b"\xfc\x80\x80\x80\x80",
                    b"\xdf", b"\xef\xbf", b"\xf7\xbf\xbf", b"\xfb\xbf\xbf\xbf", b"\xfd\xbf\xbf\xbf\xbf"]
    g.append(("Sequences with last continuation byte missing", [(False, v) for v in missing_last]))
    g.append(("Concatenation of incomplete sequences", [(False, b"".join(missing_last))]))
    g.append(("Impossible bytes", [(False, b"\xfe"), (False, b"\xff"), (False, b"\xfe\xfe\xff\xff")]))
    g.append(("Examples of an overlong ASCII character", [
        (False, b"\xc0\xaf"), (False, b"\xe0\x80\xaf"), (False, b"\xf0\x80\x80\xaf"),
        (False, b"\xf8\x80\x80\x80\xaf"), (False, b"\xfc\x80\x80\x80\x80\xaf")]))
    g.append(("Maximum overlong sequences", [
        (False, b"\xc1\xbf"), (False, b"\xe0\x9f\xbf"), (False, b"\xf0\x8f\xbf\xbf"),
        (False, b"\xf8\x87\xbf\xbf\xbf"), (False, b"\xfc\x83\xbf\xbf\xbf\xbf")]))
    g.append(("Overlong representation of the NUL character", [
        (False, b"\xc0\x80"), (False, b"\xe0\x80\x80"), (False, b"\xf0\x80\x80\x80"),
        (False, b"\xf8\x80\x80\x80\x80"), (False, b"\xfc\x80\x80\x80\x80\x80")]))
    g.append(("Single UTF-16 surrogates", [(False, bytes.fromhex(h)) for h in (
        "eda080", "edadbf", "edae80", "edafbf", "edb080", "edbe80", "edbfbf")]))
    g.append(("Paired UTF-16 surrogates", [(False, bytes.fromhex(h)) for h in (
        "eda080edb080", "eda080edbfbf", "edadbfedb080", "edadbfedbfbf",
        "edae80edb080", "edae80edbfbf", "edafbfedb080", "edafbfedbfbf")]))
    # Noncharacters are valid UTF-8 (RFC 3629 does not exclude them): U+FFFE, U+FFFF, and U+nFFFE/U+nFFFF
    # of planes 1-16 written as F0-F4 xF BF BE/BF (F0 8F is overlong and F4 9F.. is above U+10FFFF: skipped).
    nonchars = [b"\xef\xbf\xbe", b"\xef\xbf\xbf"]
    for z1 in (0xf0, 0xf1, 0xf2, 0xf3, 0xf4):
        for z2 in (0x8f, 0x9f, 0xaf, 0xbf):
            if z1 == 0xf4 and z2 != 0x8f:
                continue
            for z3 in (0xbe, 0xbf):
                v = bytes([z1, z2, 0xbf, z3])
                if v[:2] != b"\xf0\x8f":
                    nonchars.append(v)
    g.append(("Non-character code points (valid UTF-8)", [(True, v) for v in nonchars]))
    g.append(("Unicode specials (i.e. replacement char)", [
        (True, bytes([0xef, 0xbf, c])) for c in range(0xb9, 0xc0)]))
    return g


def _self_check():
    # The validity flags are facts; Python's strict UTF-8 codec (RFC 3629) must agree with every one.
    for title, vectors in groups():
        for valid, v in vectors:
            assert _valid(v) == valid, (title, v)


_self_check()
