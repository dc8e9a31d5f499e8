package changes

import (
	"fmt"

	"github.com/aws/aws-lambda-go/events"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	streamtypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
)

// EventOf converts records read with the DynamoDB Streams API into the event Lambda
// hands the processor, so that the local poller and the deployed function call the very
// same Handle.
func EventOf(streamARN string, records []streamtypes.Record) (events.DynamoDBEvent, error) {
	ev := events.DynamoDBEvent{Records: make([]events.DynamoDBEventRecord, 0, len(records))}
	for _, r := range records {
		er := events.DynamoDBEventRecord{
			EventSource:    deref(r.EventSource),
			EventID:        deref(r.EventID),
			EventName:      string(r.EventName),
			EventVersion:   deref(r.EventVersion),
			AWSRegion:      deref(r.AwsRegion),
			EventSourceArn: streamARN,
		}
		if d := r.Dynamodb; d != nil {
			var err error
			er.Change.SequenceNumber = deref(d.SequenceNumber)
			er.Change.StreamViewType = string(d.StreamViewType)
			if d.SizeBytes != nil {
				er.Change.SizeBytes = *d.SizeBytes
			}
			if d.ApproximateCreationDateTime != nil {
				er.Change.ApproximateCreationDateTime = events.SecondsEpochTime{Time: *d.ApproximateCreationDateTime}
			}
			if er.Change.Keys, err = fromStreamMap(d.Keys); err != nil {
				return ev, err
			}
			if er.Change.NewImage, err = fromStreamMap(d.NewImage); err != nil {
				return ev, err
			}
			if er.Change.OldImage, err = fromStreamMap(d.OldImage); err != nil {
				return ev, err
			}
		}
		ev.Records = append(ev.Records, er)
	}
	return ev, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func fromStreamMap(m map[string]streamtypes.AttributeValue) (map[string]events.DynamoDBAttributeValue, error) {
	if m == nil {
		return nil, nil
	}
	out := make(map[string]events.DynamoDBAttributeValue, len(m))
	for k, v := range m {
		ev, err := fromStream(v)
		if err != nil {
			return nil, fmt.Errorf("attribute %s: %w", k, err)
		}
		out[k] = ev
	}
	return out, nil
}

func fromStream(v streamtypes.AttributeValue) (events.DynamoDBAttributeValue, error) {
	switch v := v.(type) {
	case *streamtypes.AttributeValueMemberS:
		return events.NewStringAttribute(v.Value), nil
	case *streamtypes.AttributeValueMemberN:
		return events.NewNumberAttribute(v.Value), nil
	case *streamtypes.AttributeValueMemberB:
		return events.NewBinaryAttribute(v.Value), nil
	case *streamtypes.AttributeValueMemberBOOL:
		return events.NewBooleanAttribute(v.Value), nil
	case *streamtypes.AttributeValueMemberNULL:
		return events.NewNullAttribute(), nil
	case *streamtypes.AttributeValueMemberSS:
		return events.NewStringSetAttribute(v.Value), nil
	case *streamtypes.AttributeValueMemberNS:
		return events.NewNumberSetAttribute(v.Value), nil
	case *streamtypes.AttributeValueMemberBS:
		return events.NewBinarySetAttribute(v.Value), nil
	case *streamtypes.AttributeValueMemberL:
		l := make([]events.DynamoDBAttributeValue, len(v.Value))
		for i, e := range v.Value {
			var err error
			if l[i], err = fromStream(e); err != nil {
				return events.DynamoDBAttributeValue{}, err
			}
		}
		return events.NewListAttribute(l), nil
	case *streamtypes.AttributeValueMemberM:
		m, err := fromStreamMap(v.Value)
		if err != nil {
			return events.DynamoDBAttributeValue{}, err
		}
		return events.NewMapAttribute(m), nil
	}
	return events.DynamoDBAttributeValue{}, fmt.Errorf("unsupported stream attribute value %T", v)
}

// toItem converts a stream image of a Lambda event into a table item.
func toItem(m map[string]events.DynamoDBAttributeValue) (map[string]ddbtypes.AttributeValue, error) {
	if m == nil {
		return nil, nil
	}
	out := make(map[string]ddbtypes.AttributeValue, len(m))
	for k, v := range m {
		av, err := toAttr(v)
		if err != nil {
			return nil, fmt.Errorf("attribute %s: %w", k, err)
		}
		out[k] = av
	}
	return out, nil
}

func toAttr(v events.DynamoDBAttributeValue) (ddbtypes.AttributeValue, error) {
	switch v.DataType() {
	case events.DataTypeString:
		return &ddbtypes.AttributeValueMemberS{Value: v.String()}, nil
	case events.DataTypeNumber:
		return &ddbtypes.AttributeValueMemberN{Value: v.Number()}, nil
	case events.DataTypeBinary:
		return &ddbtypes.AttributeValueMemberB{Value: v.Binary()}, nil
	case events.DataTypeBoolean:
		return &ddbtypes.AttributeValueMemberBOOL{Value: v.Boolean()}, nil
	case events.DataTypeNull:
		return &ddbtypes.AttributeValueMemberNULL{Value: true}, nil
	case events.DataTypeStringSet:
		return &ddbtypes.AttributeValueMemberSS{Value: v.StringSet()}, nil
	case events.DataTypeNumberSet:
		return &ddbtypes.AttributeValueMemberNS{Value: v.NumberSet()}, nil
	case events.DataTypeBinarySet:
		return &ddbtypes.AttributeValueMemberBS{Value: v.BinarySet()}, nil
	case events.DataTypeList:
		l := make([]ddbtypes.AttributeValue, len(v.List()))
		for i, e := range v.List() {
			var err error
			if l[i], err = toAttr(e); err != nil {
				return nil, err
			}
		}
		return &ddbtypes.AttributeValueMemberL{Value: l}, nil
	case events.DataTypeMap:
		m, err := toItem(v.Map())
		if err != nil {
			return nil, err
		}
		return &ddbtypes.AttributeValueMemberM{Value: m}, nil
	}
	return nil, fmt.Errorf("unsupported event attribute type %v", v.DataType())
}
