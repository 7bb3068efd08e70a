//! Every rating given to a ticket, with the account that gave it.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::connection::AnyConnection;
use super::schema::ticket_ratings;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = ticket_ratings)]
pub struct TicketRating {
    pub id: i64,
    pub ticket_id: i64,
    pub rated_by: i64,
    pub rating: String,
    pub solved: bool,
    pub rated_at: NaiveDateTime,
}

impl TicketRating {
    pub fn record(
        conn: &mut AnyConnection,
        ticket_id: i64,
        rated_by: i64,
        rating: &str,
        solved: bool,
        at: NaiveDateTime,
    ) -> QueryResult<usize> {
        diesel::insert_into(ticket_ratings::table)
            .values((
                ticket_ratings::ticket_id.eq(ticket_id),
                ticket_ratings::rated_by.eq(rated_by),
                ticket_ratings::rating.eq(rating),
                ticket_ratings::solved.eq(solved),
                ticket_ratings::rated_at.eq(at),
            ))
            .execute(conn)
    }

    /// The ticket's ratings, oldest first.
    pub fn of_ticket(conn: &mut AnyConnection, ticket_id: i64) -> QueryResult<Vec<TicketRating>> {
        ticket_ratings::table
            .filter(ticket_ratings::ticket_id.eq(ticket_id))
            .order(ticket_ratings::id.asc())
            .select(TicketRating::as_select())
            .load(conn)
    }
}
