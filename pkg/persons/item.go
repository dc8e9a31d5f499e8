package persons

import (
	"fmt"
	"maps"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// The entity types carry json tags only: the encoder and decoder read them as DynamoDB
// attribute names, so a field's name is the same in the API and in the table.
func useJSONTags(tagKey *string) { *tagKey = "json" }

// marshal encodes v as table attributes. The entity types' optional fields are nil
// pointers without omitempty (JSON sends them as null), which the encoder turns into NULL
// attributes: those are dropped, so that an unset field is an absent attribute, as person
// updates (REMOVE), filters (attribute_exists) and sparse indexes expect.
func marshal(v any) (map[string]types.AttributeValue, error) {
	item, err := attributevalue.MarshalMapWithOptions(v, func(o *attributevalue.EncoderOptions) { useJSONTags(&o.TagKey) })
	if err != nil {
		return nil, err
	}
	maps.DeleteFunc(item, func(_ string, v types.AttributeValue) bool {
		_, null := v.(*types.AttributeValueMemberNULL)
		return null
	})
	return item, nil
}

func unmarshal(item map[string]types.AttributeValue, v any) error {
	return attributevalue.UnmarshalMapWithOptions(item, v, func(o *attributevalue.DecoderOptions) { useJSONTags(&o.TagKey) })
}

// personItem returns the PROFILE item of p: its attributes plus keys, GSI1 keys and the
// entity discriminator, without primary pointers. It does not validate p.
func personItem(p *Person) (map[string]types.AttributeValue, error) {
	item, err := marshal(p)
	if err != nil {
		return nil, fmt.Errorf("marshal person: %w", err)
	}
	item[AttrPK] = sv(personPK(p.ID))
	item[AttrSK] = sv(profileSK)
	item[AttrGSI1PK] = sv(personsGSI1PK)
	item[AttrGSI1SK] = sv(gsi1SK(p.LastName, p.FirstName, p.ID))
	item[AttrEntity] = sv(entityPerson)
	return item, nil
}

// childItem returns the item of a related item v: its attributes plus keys and the
// entity discriminator. It does not validate v.
func childItem[T any, P Record[T]](v P) (map[string]types.AttributeValue, error) {
	k := v.kind()
	item, err := marshal(v)
	if err != nil {
		return nil, fmt.Errorf("marshal %s: %w", k.Entity, err)
	}
	ik := v.itemKey()
	item[AttrPK] = sv(personPK(ik.PersonID))
	item[AttrSK] = sv(k.sk(ik.ID))
	item[AttrEntity] = sv(k.Entity)
	return item, nil
}

// Items returns the table items of a whole person: the PROFILE item, with the pointer of
// each kind to its primary item (the invariant the store keeps: at most one primary per
// kind, and the PROFILE names it) and the count of each kind, and one item per related
// item. Bulk writers (the seed)
// use it so that what they write is what the store would have written. It fails when a
// kind has two primary items. It does not validate d.
func Items(d PersonDetails) ([]map[string]types.AttributeValue, error) {
	profile, err := personItem(&d.Person)
	if err != nil {
		return nil, err
	}
	items := []map[string]types.AttributeValue{profile}
	for _, k := range Kinds {
		children, primaryID, err := k.encodeFrom(&d)
		if err != nil {
			return nil, fmt.Errorf("person %s: %w", d.ID, err)
		}
		if primaryID != "" {
			profile[k.PrimaryAttr] = sv(primaryID)
		}
		if len(children) > 0 {
			profile[k.countAttr()] = &types.AttributeValueMemberN{Value: strconv.Itoa(len(children))}
		}
		items = append(items, children...)
	}
	return items, nil
}

// details decodes the items of one person partition, in any order, into a PersonDetails.
// found reports whether the PROFILE item was among them.
func details(items []map[string]types.AttributeValue) (d PersonDetails, found bool, err error) {
	byEntity := make(map[string]*Kind, len(Kinds))
	for _, k := range Kinds {
		byEntity[k.Entity] = k
		k.empty(&d)
	}
	for _, item := range items {
		entity, _ := item[AttrEntity].(*types.AttributeValueMemberS)
		switch {
		case entity == nil:
			continue
		case entity.Value == entityPerson:
			found = true
			err = unmarshal(item, &d.Person)
		case byEntity[entity.Value] != nil:
			err = byEntity[entity.Value].decodeInto(&d, item)
		}
		if err != nil {
			return PersonDetails{}, false, err
		}
	}
	return d, found, nil
}

func sv(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

// decodeItems decodes query result items into values of T.
func decodeItems[T any](items []map[string]types.AttributeValue) ([]T, error) {
	out := make([]T, 0, len(items))
	for _, item := range items {
		var v T
		if err := unmarshal(item, &v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}
