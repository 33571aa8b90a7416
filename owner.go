package pinion

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
)

// WithOwner makes every record of the service belong to the user who
// created it, the user who holds its id in field (for example "ownerId"):
//
//	notes := pinion.Use(app, "notes", store,
//		pinion.WithHooks(pinion.Hooks{Around: pinion.AroundMap{pinion.All: {authentication.Authenticate("jwt")}}}),
//		pinion.WithOwner(me, "ownerId"))
//
// For every call that carries a user (me.ID(params)), after every hook has
// run and just before the method:
//
//   - create stamps field with the caller's id, whatever the data said, so a
//     client cannot create a record for someone else; update and patch do
//     too, so a record cannot be given away;
//   - find, get, update, patch and remove see only the caller's records:
//     field is added to their query, so another user's record is a 404
//     NotFound, exactly like one that does not exist (never a 403 that would
//     confirm it does), and find lists the caller's records only;
//   - a custom method that acts on a record (AddCustomOn) first gets that
//     record with the same query: another user's is a 404 before the
//     method runs.
//
// An external call without a user fails with 401 NotAuthenticated: put the
// authenticate hook on the service. An internal call (from Go) must say
// whose records it works on: pass params that carry a user (a custom method
// passing its own params on, or &Params{User: …}) and it is limited like the
// user's own calls; pass AllOwners(params) to reach every record. An
// internal call with neither fails, rather than silently seeing everything.
//
// Events of the service go to the owner's connections only: whatever the
// publishers choose (the app's, the service's) is narrowed to the
// connections whose user is the record's owner (me.ConnID). An event whose
// data names no owner (a custom event without field) goes to nobody.
//
// It works for services of maps and typed services alike; a typed service's
// record must have field, of type K (make it readOnly:"true" so that
// clients see it is theirs to read, not to write).
func WithOwner[U any, K comparable](me Identity[U, K], field string) ServiceOption {
	if me.idField == "" {
		panic("pinion: WithOwner needs an Identity made by NewIdentity or ServiceOf.Identity")
	}
	return func(s *Service) {
		if st := s.Schema(); st != nil && st.Path(field) == nil {
			panic(fmt.Sprintf("pinion: %s has no owner field %q", s, field))
		}
		s.app.owned.Store(true)
		s.owner = &owner{
			field:  field,
			caller: func(p *Params) (any, bool) { return me.ID(p) },
			ownedBy: func(recordOwner any) func(*Connection) bool {
				k, err := idOf[K](recordOwner)
				if recordOwner == nil || err != nil {
					return nil
				}
				owner := k.(K)
				return func(c *Connection) bool {
					id, ok := me.ConnID(c)
					return ok && id == owner
				}
			},
		}
	}
}

// AllOwners returns a copy of p whose calls on a service WithOwner reach
// every owner's records: the explicit way for internal code (a background
// job, an admin's hook) to step past ownership. Hooks may use it for
// external calls too, for example to let an administrator see everything.
func AllOwners(p *Params) *Params {
	c := p.Clone()
	c.Set(allOwnersKey, true)
	return c
}

// allOwnersKey marks params made by AllOwners.
const allOwnersKey = "pinion.allOwners"

// errNoOwner is the failure of an internal call that names no user on an
// owned service.
var errNoOwner = errors.New("an internal call names no user: pass the caller's params, or pinion.AllOwners(params) to reach every record")

// owner is what WithOwner adds to a service.
type owner struct {
	field string
	// caller returns the id of the call's user.
	caller func(p *Params) (any, bool)
	// ownedBy returns a filter of the connections of recordOwner, or nil
	// when recordOwner is no owner id.
	ownedBy func(recordOwner any) func(*Connection) bool
}

// Owner returns the owner field set by WithOwner, or "".
func (s *Service) Owner() string {
	if s.owner == nil {
		return ""
	}
	return s.owner.field
}

// ownerStep is the innermost step of an owned service, after every hook:
// the authenticate hook has loaded the user, and no hook can change the
// data or the query after it.
func ownerStep(ctx context.Context, r *run, i int) error {
	hc := r.hc
	if hc.HasResult() {
		return r.next(ctx, i+1)
	}
	if all, _ := hc.Params.Value(allOwnersKey); all == true {
		return r.next(ctx, i+1)
	}
	s := hc.Service
	o := s.owner
	id, ok := o.caller(hc.Params)
	if !ok {
		if hc.Params.Provider != "" {
			return NotAuthenticated("Not authenticated")
		}
		return fmt.Errorf("pinion: %s is owned: %w", s, errNoOwner)
	}
	switch hc.Method {
	case MethodCreate:
		hc.Data = o.stamp(hc.Data, id)
	case MethodUpdate, MethodPatch:
		hc.Data = o.stamp(hc.Data, id)
		hc.Params = o.scope(hc.Params, id)
	case MethodFind, MethodGet, MethodRemove:
		hc.Params = o.scope(hc.Params, id)
	default: // a custom method
		if hc.ID != nil && s.std[1] != nil {
			get := &HookContext{App: hc.App, Service: s, Path: hc.Path, Method: MethodGet, ID: hc.ID, Params: o.scope(hc.Params, id)}
			if _, err := s.std[1](ctx, get); err != nil {
				return err
			}
		}
	}
	return r.next(ctx, i+1)
}

// scope returns a copy of p whose query is limited to the owner id.
func (o *owner) scope(p *Params, id any) *Params {
	c := p.Clone()
	if c.Query == nil {
		c.Query = make(map[string]any, 1)
	}
	if mine, ok := c.Query[o.field]; ok {
		// The caller's own condition on the field still holds, besides
		// ownership: {ownerId: someoneElse} finds nothing.
		var and []any
		switch a := c.Query["$and"].(type) {
		case []any:
			and = append(and, a...)
		case map[string]any:
			and = append(and, indexed(a)...)
		case nil:
		default:
			and = append(and, a)
		}
		c.Query["$and"] = append(and, map[string]any{o.field: mine})
	}
	c.Query[o.field] = id
	return c
}

// stamp sets the owner field of every record of data to id. Maps and lists
// are copied first: they may be a Go caller's own.
func (o *owner) stamp(data any, id any) any {
	switch d := data.(type) {
	case map[string]any:
		data = cloneMap(d)
	case []any:
		l := make([]any, len(d))
		for i, e := range d {
			if m, ok := e.(map[string]any); ok {
				e = cloneMap(m)
			}
			l[i] = e
		}
		data = l
	default:
		data = cloneSlice(data)
	}
	for _, r := range Records(data) {
		_ = r.Set(o.field, id) // the field and its type were checked at registration
	}
	return data
}

// narrow limits the channels of an event of an owned service to the
// connections of the record's owner.
func (o *owner) narrow(e Event, chans []*Channel) []*Channel {
	recs := Records(e.Data)
	var recordOwner any
	if len(recs) == 1 {
		recordOwner, _ = recs[0].Get(o.field)
	}
	mine := o.ownedBy(recordOwner)
	if mine == nil {
		return nil
	}
	out := make([]*Channel, 0, len(chans))
	for _, ch := range chans {
		if ch != nil {
			out = append(out, ch.Filter(mine))
		}
	}
	return out
}

// cloneSlice returns a copy of a slice of structs (a typed multi create),
// and any other value as it is.
func cloneSlice(v any) any {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Slice || !structs(rv.Type().Elem()) {
		return v
	}
	c := reflect.MakeSlice(rv.Type(), rv.Len(), rv.Len())
	reflect.Copy(c, rv)
	return c.Interface()
}

// indexed reads a list sent in qs as an object of indices ($and[0][title]=x
// gives {"0": {title: x}}), in the order of its indices, as the query check
// and the adapters read it; an object with other keys is one sub-query.
func indexed(m map[string]any) []any {
	keys := make([]int, 0, len(m))
	for k := range m {
		i, err := strconv.Atoi(k)
		if err != nil || i < 0 || strconv.Itoa(i) != k {
			return []any{m}
		}
		keys = append(keys, i)
	}
	slices.Sort(keys)
	out := make([]any, len(keys))
	for j, i := range keys {
		out[j] = m[strconv.Itoa(i)]
	}
	return out
}
