export { ApiError, PersonsClient, type ClientOptions, type RequestOptions, type RetryOptions } from './client.js'
export { mutationHandlers, type Resource } from './handlers.js'
export { comparePersons, foldName, sortKey, sortKeyIndex, withSortKey, type PersonRow } from './order.js'
export {
  getPerson,
  loadPersons,
  personsCollectionOptions,
  planPersons,
  type PersonsCollectionConfig,
  type PersonsPlan,
  type PersonsQuery,
} from './persons.js'
export {
  detailsLoader,
  personDetailsCollectionOptions,
  relatedCollectionOptions,
  type DetailsLoader,
  type RelatedCollectionConfig,
} from './related.js'
export type * from './types.js'

/** A new item id: the client picks it, so an insert can be retried safely. */
export const newId = (): string => crypto.randomUUID()
export { ChangeFeed, type ChangeEntry, type ChangeFeedConfig, type ChangePage, type SyncTarget } from './changes.js'
