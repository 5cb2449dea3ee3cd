//! Paging, filters and sorting for list endpoints, built as SQL text with `$n` placeholders and a
//! list of values to bind: column names come only from fixed whitelists, values are always bound.

use crate::Timestamp;

/// A value to bind to the next placeholder.
#[derive(Debug, Clone)]
pub enum Bind {
    Text(String),
    Int(i64),
    Ts(Timestamp),
}

/// A WHERE clause under construction.
#[derive(Debug, Default, Clone)]
pub struct Where {
    clauses: Vec<String>,
    pub binds: Vec<Bind>,
}

impl Where {
    /// Adds `clause`, where `?` stands for the next placeholder.
    pub fn push(&mut self, clause: &str, value: Bind) -> &mut Self {
        self.binds.push(value);
        self.clauses.push(clause.replace('?', &format!("${}", self.binds.len())));
        self
    }

    /// Adds a clause with no value.
    pub fn push_raw(&mut self, clause: &str) -> &mut Self {
        self.clauses.push(clause.to_owned());
        self
    }

    /// The next placeholder number (for LIMIT/OFFSET after the filters).
    pub fn next_placeholder(&self) -> usize {
        self.binds.len() + 1
    }

    pub fn sql(&self) -> String {
        if self.clauses.is_empty() { "TRUE".to_owned() } else { self.clauses.join(" AND ") }
    }
}

/// Binds every value of `binds` onto a sqlx query, in order.
#[macro_export]
macro_rules! bind_all {
    ($q:expr, $binds:expr) => {{
        let mut q = $q;
        for b in $binds.iter() {
            q = match b {
                $crate::query::Bind::Text(s) => q.bind(s.clone()),
                $crate::query::Bind::Int(i) => q.bind(*i),
                $crate::query::Bind::Ts(t) => q.bind(*t),
            };
        }
        q
    }};
}

/// Comparison operators of Barbican's date filters (`created=gt:2016-01-01T00:00:00`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    Gt,
    Gte,
    Lt,
    Lte,
    Eq,
}

impl Cmp {
    pub fn sql(self) -> &'static str {
        match self {
            Cmp::Gt => ">",
            Cmp::Gte => ">=",
            Cmp::Lt => "<",
            Cmp::Lte => "<=",
            Cmp::Eq => "=",
        }
    }
}

/// Sort direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    Asc,
    Desc,
}

impl Dir {
    pub fn sql(self) -> &'static str {
        match self {
            Dir::Asc => "ASC",
            Dir::Desc => "DESC",
        }
    }
}

/// One page of a list.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    pub offset: i64,
    pub limit: i64,
}
