//! Domain enums stored as their text codes (`pending_sign`, `lead`, ...), on
//! both backends through one macro, as vaultwarden stores its enums: a row
//! holds the enum itself, decoded once where it is read, so no code above
//! storage parses a code or falls back silently. A code the enum does not
//! know is a deserialization error, not a default.
//!
//! The enums derive `diesel::AsExpression` and `diesel::FromSqlRow` where
//! they are defined (a compile-time marker; the domain does no I/O).

/// `FromSql`/`ToSql` for `Text` on every backend, through the enum's
/// `parse` and `as_str`.
macro_rules! stored_as_text {
    ($($t:ty),+ $(,)?) => {$(
        impl<DB> diesel::deserialize::FromSql<diesel::sql_types::Text, DB> for $t
        where
            DB: diesel::backend::Backend,
            String: diesel::deserialize::FromSql<diesel::sql_types::Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> diesel::deserialize::Result<Self> {
                let code = String::from_sql(bytes)?;
                <$t>::parse(&code)
                    .ok_or_else(|| format!("no {} has the code {code:?}", stringify!($t)).into())
            }
        }

        impl<DB> diesel::serialize::ToSql<diesel::sql_types::Text, DB> for $t
        where
            DB: diesel::backend::Backend,
            str: diesel::serialize::ToSql<diesel::sql_types::Text, DB>,
        {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, DB>,
            ) -> diesel::serialize::Result {
                <str as diesel::serialize::ToSql<diesel::sql_types::Text, DB>>::to_sql(self.as_str(), out)
            }
        }
    )+};
}

stored_as_text!(
    crate::domain::ticket::Status,
    crate::domain::ticket::Satisfaction,
    crate::domain::ticket::Involvement,
    crate::domain::routing::Urgency,
    crate::domain::routing::TargetLevel,
    crate::domain::region::RegionLevel,
    crate::domain::region::DepartmentKind,
    crate::domain::sla::Unit,
    crate::domain::calendar::DayKind,
    crate::domain::role::Role,
);

/// A list of codes packed into one text column (chains, regions involved),
/// decoded in one place. Written with a comma on each side
/// (`,automotive,integrated_circuits,`) so that `LIKE '%,code,%'` finds one
/// code; read whichever way a row was written (`a,b` before).
#[derive(Debug, Clone, PartialEq, Eq, Default, diesel::AsExpression, diesel::FromSqlRow)]
#[diesel(sql_type = diesel::sql_types::Text)]
pub struct Codes {
    packed: String,
}

impl Codes {
    pub fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        self.packed.split(',').filter(|c| !c.is_empty())
    }

    pub fn is_empty(&self) -> bool {
        self.iter().next().is_none()
    }

    pub fn contains(&self, code: &str) -> bool {
        self.iter().any(|c| c == code)
    }

    pub fn to_vec(&self) -> Vec<String> {
        self.iter().map(str::to_string).collect()
    }
}

impl<S: AsRef<str>> FromIterator<S> for Codes {
    fn from_iter<I: IntoIterator<Item = S>>(codes: I) -> Codes {
        let joined: Vec<String> = codes.into_iter().map(|c| c.as_ref().to_string()).collect();
        Codes {
            packed: if joined.is_empty() {
                String::new()
            } else {
                format!(",{},", joined.join(","))
            },
        }
    }
}

impl<DB> diesel::deserialize::FromSql<diesel::sql_types::Text, DB> for Codes
where
    DB: diesel::backend::Backend,
    String: diesel::deserialize::FromSql<diesel::sql_types::Text, DB>,
{
    fn from_sql(bytes: DB::RawValue<'_>) -> diesel::deserialize::Result<Self> {
        Ok(Codes {
            packed: String::from_sql(bytes)?,
        })
    }
}

impl<DB> diesel::serialize::ToSql<diesel::sql_types::Text, DB> for Codes
where
    DB: diesel::backend::Backend,
    str: diesel::serialize::ToSql<diesel::sql_types::Text, DB>,
{
    fn to_sql<'b>(
        &'b self,
        out: &mut diesel::serialize::Output<'b, '_, DB>,
    ) -> diesel::serialize::Result {
        <str as diesel::serialize::ToSql<diesel::sql_types::Text, DB>>::to_sql(&self.packed, out)
    }
}

/// The `LIKE` pattern (escaped with `\\`) of packed codes (`,a,b,`) that
/// contain `code`.
pub fn containing_pattern(code: &str) -> String {
    format!("%,{},%", super::users::escape_like(code))
}

#[cfg(test)]
mod tests {
    use diesel::prelude::*;
    use diesel::sql_types::Text;

    use crate::domain::role::Role;
    use crate::domain::ticket::Status;

    #[test]
    fn codes_round_trip_and_unknown_codes_are_errors() {
        let mut conn = diesel::sqlite::SqliteConnection::establish(":memory:").unwrap();
        let back: Status = diesel::select(Status::AwaitingInfo.into_sql::<Text>())
            .get_result(&mut conn)
            .unwrap();
        assert_eq!(back, Status::AwaitingInfo);
        let role: Role = diesel::select("lead".into_sql::<Text>())
            .get_result(&mut conn)
            .unwrap();
        assert_eq!(role, Role::Lead);
        let unknown = diesel::select("chief".into_sql::<Text>()).get_result::<Role>(&mut conn);
        assert!(unknown.is_err(), "{unknown:?}");
    }

    #[test]
    fn packed_codes_read_either_way_and_write_with_fences() {
        use super::Codes;
        let mut conn = diesel::sqlite::SqliteConnection::establish(":memory:").unwrap();
        for packed in ["a,b", ",a,b,"] {
            let codes: Codes = diesel::select(packed.into_sql::<Text>())
                .get_result(&mut conn)
                .unwrap();
            assert_eq!(codes.to_vec(), ["a", "b"]);
            assert!(codes.contains("b") && !codes.contains("c"));
        }
        let written: String =
            diesel::select(["x", "y"].into_iter().collect::<Codes>().into_sql::<Text>())
                .get_result(&mut conn)
                .unwrap();
        assert_eq!(written, ",x,y,");
        assert!(Codes::from_iter(Vec::<String>::new()).is_empty());
    }
}
