package pinion

import (
	"encoding/json"
)

// Found is what a typed find returns: the records, and for a paginated query
// the page they are. It is sent as Feathers sends a find: a page
// {"total","limit","skip","data"}, or the plain list.
type Found[T any] struct {
	Data      []T
	Total     int
	Limit     int
	Skip      int
	Paginated bool
}

// MarshalJSON writes the page, or the list.
func (f Found[T]) MarshalJSON() ([]byte, error) {
	data := f.Data
	if data == nil {
		data = []T{}
	}
	if !f.Paginated {
		return json.Marshal(data)
	}
	return json.Marshal(struct {
		Total int `json:"total"`
		Limit int `json:"limit"`
		Skip  int `json:"skip"`
		Data  []T `json:"data"`
	}{f.Total, f.Limit, f.Skip, data})
}

func (f *Found[T]) records() []Record { return Records(f.Data) }

func (f *Found[T]) without(fields []string) any {
	data := Without(f.Data, fields...).([]map[string]any)
	if !f.Paginated {
		return data
	}
	return &Page{Total: f.Total, Limit: f.Limit, Skip: f.Skip, Data: data}
}
