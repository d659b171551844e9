use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("the record was not found")]
    NotFound,
    /// Another write changed the record after the caller read it; nothing was written.
    #[error("the record was changed by someone else (now at version {current})")]
    StaleVersion { current: i64 },
    /// A uniqueness rule refused the write; `what` names it in plain words.
    #[error("{what} is already in use")]
    Duplicate { what: &'static str },
    /// The write was refused because it breaks a rule the caller could not check alone (for
    /// example a key worker from another organisation); the text says which, in plain words.
    #[error("{0}")]
    Invalid(&'static str),
    #[error("unsupported database URL '{0}': use sqlite://PATH or postgres://USER@HOST/DB")]
    BadUrl(String),
    #[error("the database schema could not be brought up to date: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database error: {0}")]
    Db(sqlx::Error),
    #[error("stored data could not be read back: {0}")]
    Corrupt(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        if let sqlx::Error::RowNotFound = e {
            return StoreError::NotFound;
        }
        StoreError::Db(e)
    }
}

impl StoreError {
    /// Maps a foreign-key violation (a reference to something that does not exist) to
    /// [`StoreError::Invalid`] with the given message, leaving other errors alone.
    pub(crate) fn on_missing_reference(self, message: &'static str) -> Self {
        match &self {
            StoreError::Db(sqlx::Error::Database(e)) if e.is_foreign_key_violation() => StoreError::Invalid(message),
            _ => self,
        }
    }

    /// Maps a unique-constraint violation to [`StoreError::Duplicate`], leaving others alone.
    pub(crate) fn on_unique(self, what: &'static str) -> Self {
        match &self {
            StoreError::Db(sqlx::Error::Database(e)) if e.is_unique_violation() => StoreError::Duplicate { what },
            _ => self,
        }
    }
}
