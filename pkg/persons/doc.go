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
// name and id (ListPersons documents the exact order), a last-name prefix or an exact last
// name is a begins_with key condition, and a position (ListPersonsOptions.After) is a start
// key. Every item carries
// the discriminator "entity" and "version" (1 when created, +1 per write). The attribute
// names of the entity fields are their JSON names; absent optional fields are not stored.
//
// # Access patterns
//
//	operation                         DynamoDB                                          requests
//	ListPersons (a page)              Query GSI1: prefix, last name and start position  1
//	                                  as key condition, order, gender and born range
//	                                  as ScanIndexForward and filter
//	  ... filtered, until the page is full                                              ≤ 16
//	GetPerson                         GetItem PROFILE                                   1
//	GetPersonDetails (all items)      Query pk (one page up to 1 MB)                    1
//	CreatePerson                      Query keys (leftovers) + PutItem, cond: id free   2
//	UpdatePerson                      GetItem + UpdateItem, condition: version          2
//	  ... that changes nothing        GetItem                                           1
//	DeletePerson                      UpdateItem mark, Query keys, BatchWriteItem per   4 + ⌈n/25⌉
//	                                  25 items, Query (empty), DeleteItem PROFILE
//	Related.List (a page)             GetItem PROFILE + Query pk, begins_with(sk, kind) 2
//	Related.Get                       BatchGetItem item + PROFILE                       1
//	Related.Create                    TransactWriteItems: put + person exists           1
//	Related.Create, primary           GetItem PROFILE + TransactWriteItems              2
//	  ... demoting a previous primary   + GetItem previous primary                      3
//	Related.Update/Replace/Delete     BatchGetItem + PutItem/DeleteItem, cond: version  2
//	  ... that changes nothing        BatchGetItem                                      1
//	  ... that makes it primary,        + GetItem previous primary, one transaction     3
//	      demoting a previous one
//
// TestRequestCounts pins these numbers, which of them are transactions and which write: a
// write refused for a conflict reads nothing more (the stored item comes with the failed
// condition), and one that changes nothing writes nothing.
//
// # Sync contract
//
// The results are what a client that keeps copies (a TanStack DB collection) needs to
// converge without refetching:
//
//   - Unset optional fields are nil pointers: JSON null (never omitted), no attribute in
//     the table.
//   - A related write returns Written: the item and, in Changed, every other item it
//     changed (the demoted previous primary, its new state built from what was read and
//     conditioned on its version, so it is exact).
//   - A write that changes nothing (empty patch, same values, server-owned fields only, a
//     replace equal to the stored item) writes nothing and returns the stored item,
//     version and updatedAt unchanged. An expected version is still checked.
//   - A conflict (ErrVersionMismatch, ErrAlreadyExists) is a *ConflictError carrying the
//     stored item, from the write's read or from DynamoDB's answer to the failed
//     condition (ReturnValuesOnConditionCheckFailure ALL_OLD).
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
//     the previous primary (on condition that it is the version read) in one transaction. An edit that leaves the primary flag as it
//     was does not touch the pointer: its version condition is enough, because a demotion
//     changes the demoted item's version.
//   - Writes are conditioned on the version they read (optimistic locking). With an
//     expected version (If-Match) a mismatch is a *ConflictError (ErrVersionMismatch)
//     holding the stored item; without one the write
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
