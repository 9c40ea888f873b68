import type { Type } from 'protobufjs';

/**
 * Converts between the objects @grpc/proto-loader hands over (camelCase fields, int64 as numbers,
 * bytes as base64, `google.protobuf.Value` as `{kind, …Value}`) and the JSON bodies of the
 * contract. Every message mirrors its operation's JSON body, so the walk only needs the
 * well-known JSON types; fields a message does not declare are left out.
 */
export function messageToJson(message: Record<string, unknown>, type: Type): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of type.fieldsArray) {
    const value = message[field.name];
    if (value === undefined || value === null) continue;
    const convert = (v: unknown) => fieldToJson(v, field.resolvedType as Type | null);
    if (field.map) out[field.name] = Object.fromEntries(Object.entries(value as object).map(([k, v]) => [k, convert(v)]));
    else if (field.repeated) out[field.name] = (value as unknown[]).map(convert);
    else out[field.name] = convert(value);
  }
  return out;
}

export function jsonToMessage(json: Record<string, unknown>, type: Type): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of type.fieldsArray) {
    const value = json[field.name];
    // JSON null is a value where the field holds any JSON value; elsewhere it means "not set".
    if (value === undefined || (value === null && (field.resolvedType as Type | null)?.fullName !== '.google.protobuf.Value')) continue;
    const convert = (v: unknown) => fieldFromJson(v, field.resolvedType as Type | null);
    if (field.map) out[field.name] = Object.fromEntries(Object.entries(value as object).map(([k, v]) => [k, convert(v)]));
    else if (field.repeated) out[field.name] = Array.isArray(value) ? value.map(convert) : [];
    else out[field.name] = convert(value);
  }
  return out;
}

function fieldToJson(value: unknown, type: Type | null): unknown {
  if (!type || !('fieldsArray' in type)) return value;
  switch (type.fullName) {
    case '.google.protobuf.Value':
      return valueToJson(value as ProtoValue);
    case '.google.protobuf.Struct':
      return structToJson(value as ProtoStruct);
    case '.google.protobuf.ListValue':
      return ((value as { values?: ProtoValue[] }).values ?? []).map(valueToJson);
    default:
      return messageToJson(value as Record<string, unknown>, type);
  }
}

function fieldFromJson(value: unknown, type: Type | null): unknown {
  if (!type || !('fieldsArray' in type)) return value;
  switch (type.fullName) {
    case '.google.protobuf.Value':
      return valueFromJson(value);
    case '.google.protobuf.Struct':
      return structFromJson(value as Record<string, unknown>);
    case '.google.protobuf.ListValue':
      return { values: (value as unknown[]).map(valueFromJson) };
    default:
      return jsonToMessage(value as Record<string, unknown>, type);
  }
}

interface ProtoValue {
  kind?: string;
  nullValue?: unknown;
  numberValue?: number;
  stringValue?: string;
  boolValue?: boolean;
  structValue?: ProtoStruct;
  listValue?: { values?: ProtoValue[] };
}

interface ProtoStruct {
  fields?: Record<string, ProtoValue>;
}

function valueToJson(v: ProtoValue): unknown {
  if (v.structValue !== undefined) return structToJson(v.structValue);
  if (v.listValue !== undefined) return (v.listValue.values ?? []).map(valueToJson);
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.numberValue !== undefined) return v.numberValue;
  if (v.boolValue !== undefined) return v.boolValue;
  return null;
}

const structToJson = (s: ProtoStruct): Record<string, unknown> => Object.fromEntries(Object.entries(s.fields ?? {}).map(([k, v]) => [k, valueToJson(v)]));

function valueFromJson(v: unknown): ProtoValue {
  if (v === null || v === undefined) return { nullValue: 'NULL_VALUE' };
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'number') return { numberValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  if (Array.isArray(v)) return { listValue: { values: v.map(valueFromJson) } };
  return { structValue: structFromJson(v as Record<string, unknown>) };
}

const structFromJson = (o: Record<string, unknown>): ProtoStruct => ({ fields: Object.fromEntries(Object.entries(o).map(([k, v]) => [k, valueFromJson(v)])) });
