package mongodb

import (
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/adapter"
)

// query parses the call's query with Feathers' rules, converting hex strings
// of the id and of ObjectId fields.
func (s *Service) query(params *pinion.Params) (*adapter.Query, error) {
	return s.opts.Parse(params, objectID)
}

// filter is the MongoDB filter of a query, narrowed to one id when id is not
// nil, as Feathers does: {$and: [{<id>: id}, where]}. The field keys of
// q.Where are canonical paths (Options.Parse refuses any other name), so
// none holds a '$' MongoDB would read as an operator or a character it
// would read differently from the protected-field check.
func (s *Service) filter(q *adapter.Query, id any) bson.M {
	if id == nil {
		if q.Where == nil {
			return bson.M{}
		}
		return bson.M(q.Where)
	}
	and := bson.A{bson.M{s.opts.ID: id}}
	if len(q.Where) > 0 {
		and = append(and, bson.M(q.Where))
	}
	return bson.M{"$and": and}
}

// byIDs is the filter of documents whose _id is one of ids. Multi patch and
// remove work by _id, whatever the id field, since every document has one.
func byIDs(ids bson.A) bson.M {
	return bson.M{"_id": bson.M{"$in": ids}}
}

// projection is the projection of $select: the id always, plus the selected
// fields. A field under another selected one is left out ({a: 1, "a.b": 1} is a
// path collision for MongoDB, while "a" already includes "a.b").
func (s *Service) projection(q *adapter.Query) bson.D {
	if q.Select == nil {
		return nil
	}
	p := make(bson.D, 0, len(q.Select)+1)
	p = append(p, bson.E{Key: s.opts.ID, Value: 1})
	for _, f := range q.Select {
		if !covered(f.String(), p) && !coveredBy(f, q.Select) {
			p = append(p, bson.E{Key: f.String(), Value: 1})
		}
	}
	return p
}

// covered reports whether field is already in the projection p, itself or
// under one of its fields.
func covered(field string, p bson.D) bool {
	for _, e := range p {
		if field == e.Key || strings.HasPrefix(field, e.Key+".") {
			return true
		}
	}
	return false
}

// coveredBy reports whether field is under another field of the list.
func coveredBy(field adapter.Path, fields []adapter.Path) bool {
	for _, f := range fields {
		if field != f && field.Within(f) {
			return true
		}
	}
	return false
}

// sortOf is the sort document of $sort, in the client's order.
func sortOf(q *adapter.Query) bson.D {
	if len(q.Sort) == 0 {
		return nil
	}
	d := make(bson.D, len(q.Sort))
	for i, f := range q.Sort {
		d[i] = bson.E{Key: f.Field.String(), Value: f.Order}
	}
	return d
}
