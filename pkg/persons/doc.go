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
// # Consistency
//
// Reads that only answer a GET are eventually consistent, at half the read units:
// GetPerson, GetPersonDetails (include=all), Related.List and Related.Get (ListPersons
// reads GSI1, which is eventually consistent anyway). They may miss a write of the last
// second or so; nothing is written from them, and a version (ETag) read stale cannot
// lose an update: the write it conditions is refused with the current item
// (ErrVersionMismatch, 412), which a syncing client merges, and a write's own answer
// already carries what it wrote. Reads that a write is conditioned on are strongly
// consistent (the read of UpdatePerson and of every related write, If-Match checks
// included; the PROFILE and previous primary of a primary switch; the cap's recount), so
// a write never starts from a stale copy; so are the cascade delete's and CreatePerson's
// partition reads, which must see every item written before them.
//
// # Capacity units
//
// TestCapacityUnits pins the read and write units of every operation on a typical person
// (10 related items, each under 1 KB), as DynamoDB Local reports them and as AWS bills
// them by its published rules (1 WCU per KB written, 2 per KB and item in a transaction;
// 1 RCU per 4 KB strongly consistent, half eventually). GSI1 projects ALL, so a write of
// a PROFILE also writes its index entry (+1 WCU, +2 when the name changes the index key).
// In AWS:
//
//	operation                                   RCU   WCU   transaction, and the guarantee it buys
//	GetPerson, GetPersonDetails, ListPersons    ½     0
//	Related.List, Related.Get                   1     0
//	CreatePerson                                1     2     none (condition: id free)
//	UpdatePerson                                1     2–3   none (condition: version)
//	DeletePerson, n related items               2     n+4   none: plain deletes after the mark
//	Related.Create                              0     5     put + PROFILE: the person exists and
//	                                                        is not being deleted, under the cap
//	Related.Create primary (demoting one)       2     7     + pointer and demotion: one primary
//	  ... no primary before                     1     5
//	Related.Update/Replace                      2     1     none (condition: version)
//	Related.Update making it primary (demoting) 3     7     pointer + demotion: one primary
//	Related.Update un-priming it                2     5     pointer: it never names a non-primary
//	Related.Delete                              2     1     none (condition: version)
//	Related.Delete of the primary               2     5     pointer removed with the item
//
// The primary delete's transaction is the only one the invariants do not strictly need
// (a primary switch tolerates a pointer to a deleted item: it reads nothing to demote and
// just moves the pointer); it keeps the pointer exact, so that the next switch reads no
// dangling item, and primary deletes are rare. A refused write (failed condition) is
// billed as a write too but comes back without consumed capacity, so the counters and
// the table leave it out.
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
