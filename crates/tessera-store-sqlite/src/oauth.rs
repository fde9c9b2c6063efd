//! The OAuth tables on SQLite, through the statements shared with PostgreSQL
//! ([`tessera_store_sql::oauth_store!`]). Every method that changes tokens is one transaction on
//! the single writer connection, so concurrent refreshes of one token are serialised there: the
//! first marks it used, the others find it so.

use crate::SqliteStore;

tessera_store_sql::oauth_store! {
    store: SqliteStore,
    connection: sqlx::SqliteConnection,
    write: writer,
    read: reader,
    store_error: tessera_store_sql::store_error,
    share_lock: "",
    serialize_audit: None,
}
