package pinion

import (
	"slices"
	"strings"
)

// router maps request paths to services. It is rebuilt on every registration and
// read without locks: registrations are rare, lookups happen on every call.
type router struct{ root node }

type node struct {
	literal map[string]*node
	params  []*node // children matching any one segment, in registration order
	name    string  // placeholder name, on param nodes
	service *Service
}

// CleanPath trims leading and trailing slashes, as Feathers' stripSlashes does:
// "/messages/" and "messages" name the same service.
func CleanPath(p string) string { return strings.Trim(p, "/") }

func (r *router) insert(s *Service) {
	n := &r.root
	for seg := range strings.SplitSeq(s.path, "/") {
		if name, ok := strings.CutPrefix(seg, ":"); ok {
			i := slices.IndexFunc(n.params, func(c *node) bool { return c.name == name })
			if i < 0 {
				n.params = append(n.params, &node{name: name})
				i = len(n.params) - 1
			}
			n = n.params[i]
			continue
		}
		if n.literal == nil {
			n.literal = make(map[string]*node)
		}
		c := n.literal[seg]
		if c == nil {
			c = &node{}
			n.literal[seg] = c
		}
		n = c
	}
	n.service = s
}

// A match is a resolved request path.
type match struct {
	service *Service
	route   map[string]string
	id      string
	hasID   bool
}

// lookup resolves path segments. With ids, one segment after a service's path
// is its id, as Feathers registers "<path>/:__id" for every service. At each
// level a literal segment is tried first, then the id, then the placeholders in
// registration order, backtracking as Feathers' router does: with services
// "messages" and ":orgId/projects", "messages/projects" is messages.get.
func (r *router) lookup(segs []string, ids bool) (m match, ok bool) {
	ok = r.root.match(segs, ids, &m)
	return m, ok
}

func (n *node) match(segs []string, ids bool, m *match) bool {
	if len(segs) == 0 {
		if n.service == nil {
			return false
		}
		m.service = n.service
		return true
	}
	seg := segs[0]
	if seg == "" {
		return false
	}
	if c := n.literal[seg]; c != nil && c.match(segs[1:], ids, m) {
		return true
	}
	if ids && len(segs) == 1 && n.service != nil {
		m.service, m.id, m.hasID = n.service, seg, true
		return true
	}
	for _, c := range n.params {
		if c.match(segs[1:], ids, m) {
			if m.route == nil {
				m.route = make(map[string]string, 1)
			}
			m.route[c.name] = seg
			return true
		}
	}
	return false
}
