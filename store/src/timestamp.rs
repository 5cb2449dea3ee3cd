//! [`Timestamp`]: a UTC instant with microsecond precision, stored as `TIMESTAMPTZ` on Postgres
//! and as fixed-width text on SQLite (`2026-11-24T14:58:06.568830Z`), so SQLite compares and
//! sorts timestamps correctly as strings.

use std::fmt;

use chrono::{DateTime, NaiveDateTime, SubsecRound, Utc};
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::{Decode, Encode, Postgres, Sqlite, Type};

const SQLITE_FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.6fZ";

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub DateTime<Utc>);

impl Timestamp {
    /// Now, truncated to microseconds (what both databases keep).
    pub fn now() -> Self {
        Self(Utc::now().trunc_subsecs(6))
    }

    pub fn from_datetime(dt: DateTime<Utc>) -> Self {
        Self(dt.trunc_subsecs(6))
    }

    /// Barbican's wire format: Python's `isoformat()` of a naive UTC datetime
    /// (`2026-11-24T14:58:06.568830`, fraction omitted when zero).
    pub fn to_barbican(&self) -> String {
        if self.0.timestamp_subsec_micros() == 0 {
            self.0.format("%Y-%m-%dT%H:%M:%S").to_string()
        } else {
            self.0.format("%Y-%m-%dT%H:%M:%S%.6f").to_string()
        }
    }

    /// Parses the timestamps clients send (ISO 8601 with or without an offset; naive means UTC).
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        if let Ok(dt) = DateTime::parse_from_rfc3339(text) {
            return Some(Self::from_datetime(dt.with_timezone(&Utc)));
        }
        for fmt in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M"] {
            if let Ok(n) = NaiveDateTime::parse_from_str(text, fmt) {
                return Some(Self::from_datetime(n.and_utc()));
            }
        }
        if let Ok(d) = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") {
            return Some(Self::from_datetime(d.and_hms_opt(0, 0, 0)?.and_utc()));
        }
        None
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_barbican())
    }
}

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_barbican())
    }
}

impl Type<Postgres> for Timestamp {
    fn type_info() -> sqlx::postgres::PgTypeInfo {
        <DateTime<Utc> as Type<Postgres>>::type_info()
    }
}

impl Encode<'_, Postgres> for Timestamp {
    fn encode_by_ref(&self, buf: &mut sqlx::postgres::PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
        <DateTime<Utc> as Encode<Postgres>>::encode_by_ref(&self.0, buf)
    }
}

impl<'r> Decode<'r, Postgres> for Timestamp {
    fn decode(value: sqlx::postgres::PgValueRef<'r>) -> Result<Self, BoxDynError> {
        Ok(Self(<DateTime<Utc> as Decode<Postgres>>::decode(value)?))
    }
}

impl Type<Sqlite> for Timestamp {
    fn type_info() -> sqlx::sqlite::SqliteTypeInfo {
        <String as Type<Sqlite>>::type_info()
    }
    fn compatible(ty: &sqlx::sqlite::SqliteTypeInfo) -> bool {
        <String as Type<Sqlite>>::compatible(ty)
    }
}

impl Encode<'_, Sqlite> for Timestamp {
    fn encode_by_ref(&self, buf: &mut sqlx::sqlite::SqliteArgumentsBuffer) -> Result<IsNull, BoxDynError> {
        <String as Encode<Sqlite>>::encode(self.0.format(SQLITE_FORMAT).to_string(), buf)
    }
}

impl<'r> Decode<'r, Sqlite> for Timestamp {
    fn decode(value: sqlx::sqlite::SqliteValueRef<'r>) -> Result<Self, BoxDynError> {
        let text = <&str as Decode<Sqlite>>::decode(value)?;
        let dt = DateTime::parse_from_rfc3339(text)?;
        Ok(Self(dt.with_timezone(&Utc)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn barbican_format_drops_zero_fraction() {
        let t = Timestamp::parse("2099-12-31T23:59:59Z").unwrap();
        assert_eq!(t.to_barbican(), "2099-12-31T23:59:59");
        let t = Timestamp::parse("2026-11-24T14:58:06.568830").unwrap();
        assert_eq!(t.to_barbican(), "2026-11-24T14:58:06.568830");
        assert!(Timestamp::parse("yesterday").is_none());
    }
}
