package pinion

import "strings"

// router maps request paths to services. It is rebuilt on every registration and
// read without locks: registrations are rare, lookups happen on every call.
type router struct{ root node }

type node struct {
	literal map[string]*node
	param   *node  // child matching any one segment
	name    string // placeholder name, on param nodes
	service *Service
}

// CleanPath trims leading and trailing slashes, as Feathers' stripSlashes does:
// "/messages/" and "messages" name the same service.
func CleanPath(p string) string { return strings.Trim(p, "/") }

func (r *router) insert(s *Service) {
	n := &r.root
	for seg := range strings.SplitSeq(s.path, "/") {
		if name, ok := strings.CutPrefix(seg, ":"); ok {
			if n.param == nil {
				n.param = &node{name: name}
			}
			n = n.param
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

// lookup finds the service at path (already cleaned). A literal segment wins over a
// placeholder; placeholders fill route.
func (r *router) lookup(path string) (*Service, map[string]string) {
	var route map[string]string
	s := r.root.match(path, &route)
	return s, route
}

func (n *node) match(path string, route *map[string]string) *Service {
	seg, rest, more := strings.Cut(path, "/")
	if seg == "" {
		return nil
	}
	if c := n.literal[seg]; c != nil {
		if !more {
			if c.service != nil {
				return c.service
			}
		} else if s := c.match(rest, route); s != nil {
			return s
		}
	}
	if c := n.param; c != nil {
		var s *Service
		if !more {
			s = c.service
		} else {
			s = c.match(rest, route)
		}
		if s != nil {
			if *route == nil {
				*route = make(map[string]string, 1)
			}
			(*route)[c.name] = seg
			return s
		}
	}
	return nil
}
