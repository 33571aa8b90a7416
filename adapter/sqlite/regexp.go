package sqlite

import (
	"database/sql/driver"
	"regexp"
	"strings"
	"sync"

	"modernc.org/sqlite"

	"github.com/pinionhq/pinion"
)

// regexpFunc is the SQL function of $regex: regexpFunc(pattern, value) is 1
// when value is text that Go's regexp (RE2: linear time, no backtracking
// blow-up) matches. SQLite has no regular expressions of its own.
const regexpFunc = "pinion_regexp"

// The driver's functions are process-wide, so the function is registered
// once, when the package is loaded; it keeps the patterns it compiled, a few
// hundred at most, since a query calls it once per row with the same pattern.
func init() {
	var cache regexpCache
	sqlite.MustRegisterDeterministicScalarFunction(regexpFunc, 2, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		pattern, ok := args[0].(string)
		if !ok {
			return int64(0), nil
		}
		value, ok := args[1].(string)
		if !ok {
			return int64(0), nil
		}
		re, err := cache.get(pattern)
		if err != nil {
			return nil, err
		}
		if re.MatchString(value) {
			return int64(1), nil
		}
		return int64(0), nil
	})
}

type regexpCache struct {
	mu sync.Mutex
	m  map[string]*regexp.Regexp
}

func (c *regexpCache) get(pattern string) (*regexp.Regexp, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if re, ok := c.m[pattern]; ok {
		return re, nil
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil, err
	}
	if c.m == nil || len(c.m) >= 256 {
		c.m = map[string]*regexp.Regexp{}
	}
	c.m[pattern] = re
	return re, nil
}

// regexPattern validates $regex and its $options (i, m and s, as in the
// memory adapter) and returns the Go pattern that the SQL function receives.
func regexPattern(pattern, options any) (string, error) {
	expr, ok := pattern.(string)
	if !ok {
		if re, isRe := pattern.(*regexp.Regexp); isRe {
			expr = re.String()
		} else {
			return "", pinion.BadRequest("Invalid query parameter $regex: expected a string")
		}
	}
	flags, _ := options.(string)
	for _, f := range flags {
		if !strings.ContainsRune("ims", f) {
			return "", pinion.BadRequest("Invalid query parameter $options: unsupported flag %q", f)
		}
	}
	if flags != "" {
		expr = "(?" + flags + ")" + expr
	}
	if _, err := regexp.Compile(expr); err != nil {
		return "", pinion.BadRequest("Invalid query parameter $regex: %v", err)
	}
	return expr, nil
}
