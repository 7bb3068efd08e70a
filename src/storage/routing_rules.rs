//! The routing rules (domain spec section 5): the first enabled rule, by
//! position, that matches a new ticket decides the level that receives it.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::connection::AnyConnection;
use super::schema::routing_rules;
use crate::domain::routing::TargetLevel;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = routing_rules)]
pub struct RoutingRuleRow {
    pub id: i64,
    pub position: i32,
    pub name: String,
    pub enabled: bool,
    pub category: Option<String>,
    pub urgency: Option<String>,
    pub listed: Option<String>,
    pub chain_code: Option<String>,
    pub reach: Option<String>,
    pub target_level: TargetLevel,
    pub sla_policy: Option<String>,
    pub notify_chain_platform: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

pub fn routing_rules(conn: &mut AnyConnection) -> QueryResult<Vec<RoutingRuleRow>> {
    routing_rules::table
        .filter(routing_rules::enabled.eq(true))
        .order((routing_rules::position.asc(), routing_rules::id.asc()))
        .select(RoutingRuleRow::as_select())
        .load(conn)
}

pub fn insert_routing_rule(conn: &mut AnyConnection, row: &RoutingRuleRow) -> QueryResult<usize> {
    diesel::insert_into(routing_rules::table)
        .values(row)
        .execute(conn)
}

/// Every rule, enabled or not, in order.
pub fn all_routing_rules(conn: &mut AnyConnection) -> QueryResult<Vec<RoutingRuleRow>> {
    routing_rules::table
        .order((routing_rules::position.asc(), routing_rules::id.asc()))
        .select(RoutingRuleRow::as_select())
        .load(conn)
}

/// The fields of a rule an administrator writes.
#[derive(Debug, Clone, AsChangeset, Insertable)]
#[diesel(table_name = routing_rules, treat_none_as_null = true)]
pub struct RoutingRuleFields {
    pub position: i32,
    pub name: String,
    pub enabled: bool,
    pub category: Option<String>,
    pub urgency: Option<String>,
    pub listed: Option<String>,
    pub chain_code: Option<String>,
    pub reach: Option<String>,
    pub target_level: TargetLevel,
    pub sla_policy: Option<String>,
    pub notify_chain_platform: bool,
    pub updated_at: NaiveDateTime,
}

pub fn create_routing_rule(
    conn: &mut AnyConnection,
    fields: &RoutingRuleFields,
) -> QueryResult<RoutingRuleRow> {
    diesel::insert_into(routing_rules::table)
        .values((fields, routing_rules::created_at.eq(fields.updated_at)))
        .returning(routing_rules::all_columns)
        .get_result(conn)
}

pub fn update_routing_rule(
    conn: &mut AnyConnection,
    id: i64,
    fields: &RoutingRuleFields,
) -> QueryResult<Option<RoutingRuleRow>> {
    let n = diesel::update(routing_rules::table.find(id))
        .set(fields)
        .execute(conn)?;
    if n == 0 {
        return Ok(None);
    }
    routing_rules::table
        .find(id)
        .select(RoutingRuleRow::as_select())
        .first(conn)
        .optional()
}
