// Package persons keeps people and their related records (addresses, bank accounts,
// contact infos, employments) in ONE DynamoDB table, with aws-sdk-go-v2.
//
// # Data model
//
// Every person is one partition. Keys are strings; Table is the only definition of the
// table (its key schema, GSI1 and billing mode): CreateTable, the tests, the local server
// and the CDK stack all derive from it.
//
//	entity       pk                  sk                      GSI1 (gsi1pk / gsi1sk)
//	Person       PERSON#<personId>   PROFILE                 PERSONS / <last>␟<first>␟<id>
//	Address      PERSON#<personId>   ADDRESS#<id>
//	BankAccount  PERSON#<personId>   BANK#<id>
//	ContactInfo  PERSON#<personId>   CONTACT#<id>
//	Employment   PERSON#<personId>   EMPLOYMENT#<id>
//
// gsi1sk holds the case-folded last name, first name and id separated by U+001F, which
// sorts below every character a name may hold: GSI1 lists all persons by last name, first
// name and id, and a last-name prefix is a begins_with key condition. Every item carries
// the discriminator "entity" and "version" (1 when created, +1 per write). The attribute
// names of the entity fields are their JSON names; absent optional fields are not stored.
//
// # Access patterns
//
//	operation                         DynamoDB                                      requests
//	ListPersons (a page)              Query GSI1                                    1
//	GetPerson                         GetItem PROFILE                               1
//	GetPersonDetails (all items)      Query pk (one page up to 1 MB)                1
//	CreatePerson                      PutItem, condition: id not taken              1
//	UpdatePerson                      GetItem + UpdateItem, condition: version      2
//	DeletePerson                      Query keys + TransactWriteItems per 100 items 1 + ⌈(n+1)/100⌉
//	Related.List (a page)             Query pk, begins_with(sk, kind)               1 (+1 when empty: is there a person?)
//	Related.Get                       GetItem                                       1
//	Related.Create                    TransactWriteItems: put + person exists       1
//	Related.Create, primary           GetItem PROFILE + TransactWriteItems          2
//	Related.Update/Replace/Delete     GetItem + PutItem/DeleteItem, cond: version   2
//	  ... that changes which is primary   + GetItem PROFILE, as one transaction     3
//
// TestRequestCounts pins these numbers, and which of them are transactions.
//
// A page's cursor is its start key and issue time with an HMAC-SHA256 tag that also
// covers the list: an edited, foreign or expired (CursorLifetime) cursor is
// ErrInvalidCursor (WithCursorKeys).
//
// # Invariants
//
//   - A related item is never written without its person: a create checks, in the same
//     transaction, that the PROFILE item exists.
//   - At most one item per kind is primary. The PROFILE item holds a pointer per kind
//     (Kind.PrimaryAttr) to it; a write that changes which item is primary moves the
//     pointer on condition that it still holds what was read, writes the item and demotes
//     the previous primary in one transaction. An edit that leaves the primary flag as it
//     was does not touch the pointer: its version condition is enough, because a demotion
//     changes the demoted item's version.
//   - Writes are conditioned on the version they read (optimistic locking). With an
//     expected version (If-Match) a mismatch is ErrVersionMismatch; without one the write
//     is read and applied again, with jittered backoff, until it succeeds or its retry
//     budget (bounded by the context's deadline) runs out: ErrContention.
//   - A cascade delete removes the children before the PROFILE item, so an interrupted
//     delete leaves a visible person whose delete can be run again.
//   - Every value Validate accepts can be written (numbers in DynamoDB's range, gsi1sk
//     within 1,024 bytes), and is written in one form: the store fills ids, defaults and
//     versions in, then Clean normalizes (lower-case ids, NFC text, UTC date-times with
//     milliseconds) and validates.
//
// # Related kinds
//
// One generic implementation, Related, serves every related kind. A kind is a struct that
// embeds ItemKey and Versioned (and Primary if it has a primary item), has a Validate
// method and a kind method, one line in the registry (kinds.go) and a field in
// PersonDetails. Items encodes a whole person, pointers included, for bulk writers.
package persons
