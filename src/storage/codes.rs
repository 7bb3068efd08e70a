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
}
