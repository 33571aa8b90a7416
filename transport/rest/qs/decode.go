package qs

import (
	"strings"
	"unicode/utf8"
)

// qs first replaces every %5B and %5D (in any case) of the whole query with "["
// and "]", and only then splits and decodes. Those escapes decode to the same
// brackets anyway, so this parser leaves the query as it is and lets splitPair
// and decode treat an escaped bracket as a bracket, which saves a copy of the
// query. The only place the difference shows is text that fails to decode: qs
// keeps it with the brackets replaced, and so does decode.

// splitPair splits a part at its first "]=" (so that a bracketed key may
// contain '=') or else at its first '='. ok is false if there is no '='.
func splitPair(part string) (key, val string, ok bool) {
	first := -1
	for i := 0; i < len(part); i++ {
		j := strings.IndexByte(part[i:], '=')
		if j < 0 {
			break
		}
		i += j
		if first < 0 {
			first = i
		}
		if i >= 1 && part[i-1] == ']' || i >= 3 && part[i-3] == '%' && part[i-2] == '5' && part[i-1]|0x20 == 'd' {
			return part[:i], part[i+1:], true
		}
	}
	if first < 0 {
		return part, "", false
	}
	return part[:first], part[first+1:], true
}

// decode is qs's decoder: '+' is a space, then decodeURIComponent. Text that
// decodeURIComponent rejects (a '%' without two hex digits, or escapes that are
// not UTF-8) is kept as it is, with only the spaces and brackets replaced.
// decode returns s itself when nothing changes, and otherwise a string in p.out.
func (p *parser) decode(s string) string {
	if strings.IndexByte(s, '%') < 0 {
		if strings.IndexByte(s, '+') < 0 {
			return s
		}
		return p.keep(s)
	}
	if !validEscapes(s) {
		return p.keep(s)
	}
	p.grow()
	start := p.out.Len()
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '+':
			p.out.WriteByte(' ')
		case '%':
			p.out.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
			i += 2
		default:
			p.out.WriteByte(c)
		}
	}
	return p.out.String()[start:]
}

// keep is the text qs keeps when it does not decode s: '+' is a space, and
// escaped brackets are brackets.
func (p *parser) keep(s string) string {
	i := 0
	for ; i < len(s); i++ {
		if s[i] == '+' || isBracketEscape(s, i) {
			break
		}
	}
	if i == len(s) {
		return s
	}
	p.grow()
	start := p.out.Len()
	p.out.WriteString(s[:i])
	for ; i < len(s); i++ {
		switch c := s[i]; {
		case c == '+':
			p.out.WriteByte(' ')
		case isBracketEscape(s, i):
			p.out.WriteByte('[' + ((s[i+2] | 0x20) - 'b')) // '[' or ']'
			i += 2
		default:
			p.out.WriteByte(c)
		}
	}
	return p.out.String()[start:]
}

// isBracketEscape reports whether s[i:] starts with %5B or %5D, in either case.
func isBracketEscape(s string, i int) bool {
	return i+2 < len(s) && s[i] == '%' && s[i+1] == '5' && (s[i+2]|0x20 == 'b' || s[i+2]|0x20 == 'd')
}

// grow sizes p.out once for all the decoded text of a query, which is never
// longer than the query.
func (p *parser) grow() {
	if p.out.Cap() == 0 {
		p.out.Grow(p.budget)
	}
}

// validEscapes reports whether decodeURIComponent accepts s: every '%' starts an
// escape of two hex digits, and a byte of 0x80 or more starts a UTF-8 sequence
// (not overlong, not a surrogate, at most U+10FFFF) whose every byte is escaped.
func validEscapes(s string) bool {
	var seq [utf8.UTFMax]byte
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			continue
		}
		b, ok := escapeAt(s, i)
		if !ok {
			return false
		}
		i += 2
		if b < utf8.RuneSelf {
			continue
		}
		var n int
		switch {
		case b&0xE0 == 0xC0:
			n = 2
		case b&0xF0 == 0xE0:
			n = 3
		case b&0xF8 == 0xF0:
			n = 4
		default:
			return false
		}
		seq[0] = b
		for k := 1; k < n; k++ {
			c, ok := escapeAt(s, i+1)
			if !ok || c&0xC0 != 0x80 {
				return false
			}
			seq[k] = c
			i += 3
		}
		if _, size := utf8.DecodeRune(seq[:n]); size != n {
			return false
		}
	}
	return true
}

// escapeAt decodes the escape "%XX" at s[i:].
func escapeAt(s string, i int) (byte, bool) {
	if i+2 >= len(s) || s[i] != '%' || !isHex(s[i+1]) || !isHex(s[i+2]) {
		return 0, false
	}
	return unhex(s[i+1])<<4 | unhex(s[i+2]), true
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c|0x20 && c|0x20 <= 'f'
}

func unhex(c byte) byte {
	if c <= '9' {
		return c - '0'
	}
	return (c | 0x20) - 'a' + 10
}
