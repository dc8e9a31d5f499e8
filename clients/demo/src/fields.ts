// The editable fields of each kind, and the conversions between an item and a form. Forms
// do no validation of their own: the server's 400 names the fields (shown by ErrorBox).
import type { RelatedKind } from '../../tanstack-db/src/index.js'

export interface Field {
  name: string
  label: string
  type?: 'text' | 'date' | 'number' | 'checkbox' | 'select'
  options?: readonly string[]
  /** Empty means null (an optional field). */
  optional?: boolean
}

export const personFields: Field[] = [
  { name: 'firstName', label: 'First name' },
  { name: 'lastName', label: 'Last name' },
  { name: 'dateOfBirth', label: 'Date of birth', type: 'date', optional: true },
  { name: 'gender', label: 'Gender', type: 'select', options: ['male', 'female', 'other', 'prefer_not_to_say'], optional: true },
]

export interface KindSpec {
  kind: RelatedKind
  title: string
  /** One item, for labels: "New address", "Edit address". */
  one: string
  fields: Field[]
  /** Whether the kind has one primary item (switched by "Make primary"). */
  primary: boolean
  summary(item: any): string
  detail?(item: any): string
}

const dateOnly = (v: unknown) => (typeof v === 'string' ? v.slice(0, 10) : '')

export const kinds: KindSpec[] = [
  {
    kind: 'addresses',
    title: 'Addresses',
    one: 'address',
    primary: true,
    fields: [
      { name: 'type', label: 'Type', type: 'select', options: ['home', 'work', 'billing', 'shipping'] },
      { name: 'street', label: 'Street' },
      { name: 'city', label: 'City' },
      { name: 'state', label: 'State' },
      { name: 'postalCode', label: 'Postal code' },
      { name: 'country', label: 'Country' },
      { name: 'isPrimary', label: 'Primary', type: 'checkbox' },
    ],
    summary: (a) => `${a.street}, ${a.postalCode} ${a.city}`,
    detail: (a) => `${a.type} · ${a.state}, ${a.country}`,
  },
  {
    kind: 'bank-accounts',
    title: 'Bank accounts',
    one: 'bank account',
    primary: true,
    fields: [
      { name: 'bankName', label: 'Bank name' },
      { name: 'accountType', label: 'Account type', type: 'select', options: ['checking', 'savings', 'investment'] },
      { name: 'accountNumberLast4', label: 'Last 4 digits' },
      { name: 'iban', label: 'IBAN', optional: true },
      { name: 'bic', label: 'BIC', optional: true },
      { name: 'isPrimary', label: 'Primary', type: 'checkbox' },
    ],
    summary: (b) => `${b.bankName} ··${b.accountNumberLast4}`,
    detail: (b) => [b.accountType, b.iban, b.bic].filter(Boolean).join(' · '),
  },
  {
    kind: 'contacts',
    title: 'Contacts',
    one: 'contact',
    primary: true,
    fields: [
      { name: 'type', label: 'Type', type: 'select', options: ['email', 'phone', 'mobile', 'linkedin', 'twitter'] },
      { name: 'value', label: 'Value' },
      { name: 'isPrimary', label: 'Primary', type: 'checkbox' },
      { name: 'isVerified', label: 'Verified', type: 'checkbox' },
    ],
    summary: (c) => c.value,
    detail: (c) => `${c.type}${c.isVerified ? ' · verified' : ''}`,
  },
  {
    kind: 'employments',
    title: 'Employments',
    one: 'employment',
    primary: false,
    fields: [
      { name: 'companyName', label: 'Company' },
      { name: 'position', label: 'Position' },
      { name: 'department', label: 'Department', optional: true },
      { name: 'startDate', label: 'Start date', type: 'date' },
      { name: 'endDate', label: 'End date', type: 'date', optional: true },
      { name: 'isCurrent', label: 'Current', type: 'checkbox' },
      { name: 'salary', label: 'Salary', type: 'number', optional: true },
      { name: 'currency', label: 'Currency' },
    ],
    summary: (e) => `${e.position} at ${e.companyName}`,
    detail: (e) =>
      [
        e.department,
        `${dateOnly(e.startDate)} – ${e.endDate ? dateOnly(e.endDate) : e.isCurrent ? 'now' : ''}`,
        e.salary == null ? '' : `${e.salary.toLocaleString('en-US')} ${e.currency}`,
      ]
        .filter(Boolean)
        .join(' · '),
  },
]

export type FormValues = Record<string, string | boolean>

/** The form's values of an item (or of a new one: empty, selects at their first option). */
export function formValues(fields: Field[], item?: Record<string, unknown>): FormValues {
  const v: FormValues = {}
  for (const f of fields) {
    const x = item?.[f.name]
    if (f.type === 'checkbox') v[f.name] = x === true
    else if (f.type === 'date') v[f.name] = dateOnly(x)
    else if (x != null) v[f.name] = String(x)
    else if (f.type === 'select' && !f.optional) v[f.name] = f.options![0]
    else if (f.name === 'currency') v[f.name] = 'USD'
    else v[f.name] = ''
  }
  return v
}

/** A form value as the API takes it (dates as UTC midnight, empty optionals as null). */
export function apiValue(f: Field, v: string | boolean): unknown {
  if (f.type === 'checkbox') return v === true
  const s = String(v).trim()
  if (s === '' && f.optional) return null
  if (f.type === 'date') return s === '' ? s : `${s}T00:00:00Z`
  if (f.type === 'number') return Number.isFinite(Number(s)) ? Number(s) : s
  return String(v)
}

/** The members of the form that differ from the item (dates compared by day). */
export function changedValues(fields: Field[], item: Record<string, unknown>, values: FormValues): Record<string, unknown> {
  const before = formValues(fields, item)
  const out: Record<string, unknown> = {}
  for (const f of fields) if (before[f.name] !== values[f.name]) out[f.name] = apiValue(f, values[f.name])
  return out
}

/** Every member of the form, for a create. */
export function allValues(fields: Field[], values: FormValues): Record<string, unknown> {
  return Object.fromEntries(fields.map((f) => [f.name, apiValue(f, values[f.name])]))
}
