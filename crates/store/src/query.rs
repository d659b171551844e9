//! Queries whose conditions are chosen at run time (searches): the values are collected with
//! their placeholders numbered as they are added, then bound in order, so no value is ever
//! written into the SQL text.

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

/// A value bound into a query built at run time.
pub(crate) enum Arg {
    Uuid(Uuid),
    OptUuid(Option<Uuid>),
    Text(String),
    Date(NaiveDate),
    Time(DateTime<Utc>),
    Int(i64),
}

/// The values of one query, in placeholder order.
#[derive(Default)]
pub(crate) struct Args(pub(crate) Vec<Arg>);

impl Args {
    /// Adds a value and returns its placeholder (`$3`).
    pub(crate) fn add(&mut self, a: Arg) -> String {
        self.0.push(a);
        format!("${}", self.0.len())
    }
}

/// Binds every value of a slice of [`Arg`]s to a sqlx query, in order.
macro_rules! bind_args {
    ($q:expr, $args:expr) => {{
        let mut q = $q;
        for a in $args {
            q = match a {
                $crate::query::Arg::Uuid(v) => q.bind(*v),
                $crate::query::Arg::OptUuid(v) => q.bind(*v),
                $crate::query::Arg::Text(v) => q.bind(v.clone()),
                $crate::query::Arg::Date(v) => q.bind(*v),
                $crate::query::Arg::Time(v) => q.bind(*v),
                $crate::query::Arg::Int(v) => q.bind(*v),
            };
        }
        q
    }};
}
pub(crate) use bind_args;

/// `INSERT INTO table (columns) VALUES (...), (...)`. SQLite gets anonymous `?` parameters:
/// with numbered ones it looks each name up in a list as long as the statement, which makes a
/// large insert quadratic (a fifth of the load time, measured with perf).
pub(crate) fn insert_sql(table: &str, columns: &[&str], rows: usize, backend: crate::Backend) -> String {
    let width = columns.len();
    let mut sql = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
    for r in 0..rows {
        if r > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for c in 0..width {
            if c > 0 {
                sql.push_str(", ");
            }
            match backend {
                crate::Backend::Sqlite => sql.push('?'),
                crate::Backend::Postgres => {
                    sql.push('$');
                    sql.push_str(&(r * width + c + 1).to_string());
                }
            }
        }
        sql.push(')');
    }
    sql
}

/// `rows` cut into the groups that each INSERT takes. Many rows go in a few statements rather
/// than one each, since each statement is a round trip to the database; the sizes are powers of
/// two so that only a handful of distinct statements are ever prepared (each connection caches
/// them), and at most 256 rows (3,840 bound values for the audit log's 15 columns) go in one
/// statement, well under both backends' limits on bound values.
pub(crate) fn insert_batches<T>(rows: &[T]) -> impl Iterator<Item = &[T]> {
    let mut rest = rows;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let (batch, after) = rest.split_at(1 << rest.len().min(256).ilog2());
        rest = after;
        Some(batch)
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn insert_statements_number_their_parameters_row_by_row() {
        use super::insert_sql;
        use crate::Backend;
        assert_eq!(
            insert_sql("t", &["a", "b"], 2, Backend::Postgres),
            "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4)"
        );
        assert_eq!(insert_sql("t", &["a", "b"], 2, Backend::Sqlite), "INSERT INTO t (a, b) VALUES (?, ?), (?, ?)");
    }

    #[test]
    fn insert_batches_take_every_row_once_in_order_in_powers_of_two_up_to_256() {
        let rows: Vec<usize> = (0..700).collect();
        let batches: Vec<&[usize]> = super::insert_batches(&rows).collect();
        let sizes: Vec<usize> = batches.iter().map(|b| b.len()).collect();
        assert_eq!(sizes, [256, 256, 128, 32, 16, 8, 4]);
        assert_eq!(batches.concat(), rows);
        assert_eq!(super::insert_batches::<usize>(&[]).count(), 0);
    }
}
