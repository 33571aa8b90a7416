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
	// params are the children matching any one segment, in registration
	// order. The id of a service's node is one of them: a leaf marked id,
	// added when the service is, as Feathers adds "<path>/:__id".
	params  []*node
	name    string // placeholder name, on param nodes
	id      bool
	service *Service
}

// CleanPath trims leading and trailing slashes, as Feathers' stripSlashes does:
// "/messages/" and "messages" name the same service.
func CleanPath(p string) string { return strings.Trim(p, "/") }

func (r *router) insert(s *Service) {
	n := &r.root
	for seg := range strings.SplitSeq(s.path, "/") {
		if name, ok := strings.CutPrefix(seg, ":"); ok {
			i := slices.IndexFunc(n.params, func(c *node) bool { return !c.id && c.name == name })
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
	n.params = append(n.params, &node{id: true, service: s})
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
// level a literal segment is tried first, then the placeholders and ids in
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
	for _, c := range n.params {
		if c.id {
			if ids && len(segs) == 1 {
				m.service, m.id, m.hasID = c.service, seg, true
				return true
			}
			continue
		}
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
