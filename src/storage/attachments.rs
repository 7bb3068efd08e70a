//! Attachments' rows and the registry of stored objects (issue 25). An
//! upload's row is pending (no step) until a step takes it; the registry
//! row of an object is written before the object, and a sweep deletes an
//! object only after dooming its registry row in one conditional write.

use chrono::NaiveDateTime;
use diesel::dsl::{exists, not};
use diesel::prelude::*;

use super::connection::AnyConnection;
use super::schema::{attachment_objects, attachments, ticket_events};

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = attachments)]
pub struct Attachment {
    pub id: i64,
    pub ticket_id: Option<i64>,
    pub event_id: Option<i64>,
    pub uploader_id: i64,
    pub file_name: String,
    pub media_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub object_key: String,
    pub thumbnail_key: Option<String>,
    pub visibility: String,
    pub created_at: NaiveDateTime,
    pub attached_at: Option<NaiveDateTime>,
    /// Set while its thumbnail is still to be made (see [`claim_thumbnails`]).
    pub thumbnail_due_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = attachments)]
pub struct NewAttachment {
    pub ticket_id: Option<i64>,
    pub uploader_id: i64,
    pub file_name: String,
    pub media_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub object_key: String,
    pub thumbnail_key: Option<String>,
    pub created_at: NaiveDateTime,
    pub thumbnail_due_at: Option<NaiveDateTime>,
}

impl Attachment {
    pub fn insert(conn: &mut AnyConnection, new: &NewAttachment) -> QueryResult<Attachment> {
        diesel::insert_into(attachments::table)
            .values(new)
            .returning(attachments::all_columns)
            .get_result(conn)
    }

    pub fn find(conn: &mut AnyConnection, id: i64) -> QueryResult<Option<Attachment>> {
        attachments::table
            .find(id)
            .select(Attachment::as_select())
            .first(conn)
            .optional()
    }

    /// The files on a ticket's steps, oldest first, each with its step's
    /// number in the ticket's history (the timeline's `seq`).
    pub fn of_ticket(
        conn: &mut AnyConnection,
        ticket_id: i64,
    ) -> QueryResult<Vec<(Attachment, i32)>> {
        attachments::table
            .inner_join(
                ticket_events::table.on(attachments::event_id.eq(ticket_events::id.nullable())),
            )
            .filter(attachments::ticket_id.eq(ticket_id))
            .order(attachments::id.asc())
            .select((Attachment::as_select(), ticket_events::seq))
            .load(conn)
    }

    /// (ticket, file name, visibility) of the files on these tickets' steps.
    pub fn names_of_tickets(
        conn: &mut AnyConnection,
        ticket_ids: &[i64],
    ) -> QueryResult<Vec<(i64, String, String)>> {
        let mut found = Vec::new();
        for chunk in ticket_ids.chunks(super::INSERT_BATCH) {
            found.extend(
                attachments::table
                    .filter(attachments::ticket_id.eq_any(chunk))
                    .filter(attachments::event_id.is_not_null())
                    .order(attachments::id.asc())
                    .select((
                        attachments::ticket_id.assume_not_null(),
                        attachments::file_name,
                        attachments::visibility,
                    ))
                    .load::<(i64, String, String)>(conn)?,
            );
        }
        Ok(found)
    }

    /// The uploader's pending files among `ids`.
    pub fn pending_of(
        conn: &mut AnyConnection,
        uploader_id: i64,
        ids: &[i64],
    ) -> QueryResult<Vec<Attachment>> {
        attachments::table
            .filter(attachments::id.eq_any(ids))
            .filter(attachments::uploader_id.eq(uploader_id))
            .filter(attachments::event_id.is_null())
            .select(Attachment::as_select())
            .load(conn)
    }

    /// Bytes on a ticket's steps so far.
    pub fn bytes_of_ticket(conn: &mut AnyConnection, ticket_id: i64) -> QueryResult<i64> {
        let sizes: Vec<i64> = attachments::table
            .filter(attachments::ticket_id.eq(ticket_id))
            .filter(attachments::event_id.is_not_null())
            .select(attachments::size_bytes)
            .load(conn)?;
        Ok(sizes.iter().sum())
    }

    /// Puts pending files on a step; the number taken (fewer than asked
    /// when another request took one first).
    pub fn attach(
        conn: &mut AnyConnection,
        ids: &[i64],
        ticket_id: i64,
        event_id: i64,
        visibility: &str,
        at: NaiveDateTime,
    ) -> QueryResult<usize> {
        diesel::update(
            attachments::table
                .filter(attachments::id.eq_any(ids))
                .filter(attachments::event_id.is_null()),
        )
        .set((
            attachments::ticket_id.eq(ticket_id),
            attachments::event_id.eq(event_id),
            attachments::visibility.eq(visibility),
            attachments::attached_at.eq(at),
        ))
        .execute(conn)
    }

    /// Forgets uploads no step took before `before`.
    pub fn forget_pending(conn: &mut AnyConnection, before: NaiveDateTime) -> QueryResult<usize> {
        diesel::delete(
            attachments::table
                .filter(attachments::event_id.is_null())
                .filter(attachments::created_at.lt(before)),
        )
        .execute(conn)
    }

    /// Every object key and thumbnail key rows point at (for checks).
    pub fn keys_in_use(conn: &mut AnyConnection) -> QueryResult<Vec<String>> {
        let rows: Vec<(String, Option<String>)> = attachments::table
            .select((attachments::object_key, attachments::thumbnail_key))
            .load(conn)?;
        Ok(rows
            .into_iter()
            .flat_map(|(k, t)| std::iter::once(k).chain(t))
            .collect())
    }
}

/// An image whose thumbnail a job has taken to make.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct ThumbnailDue {
    pub id: i64,
    pub object_key: String,
    pub media_type: String,
    pub sha256: String,
}

/// Takes up to `limit` images whose thumbnails are due at `now`, oldest
/// first, and moves their time on to `lease_until` (run inside a write
/// transaction): another instance's job skips them until then, and takes
/// them again if this one dies before it is done.
pub fn claim_thumbnails(
    conn: &mut AnyConnection,
    now: NaiveDateTime,
    lease_until: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<ThumbnailDue>> {
    let due: Vec<ThumbnailDue> = claim!(
        conn,
        attachments::table
            .filter(attachments::thumbnail_due_at.le(now))
            .order(attachments::thumbnail_due_at.asc())
            .limit(limit)
            .select((
                attachments::id,
                attachments::object_key,
                attachments::media_type,
                attachments::sha256,
            ))
    )?;
    let ids: Vec<i64> = due.iter().map(|d| d.id).collect();
    if !ids.is_empty() {
        diesel::update(attachments::table.filter(attachments::id.eq_any(&ids)))
            .set(attachments::thumbnail_due_at.eq(lease_until))
            .execute(conn)?;
    }
    Ok(due)
}

/// Records an image's thumbnail (`None`: the image does not decode, the
/// page shows an icon); nothing is due for it any more.
pub fn thumbnail_made(conn: &mut AnyConnection, id: i64, key: Option<&str>) -> QueryResult<usize> {
    diesel::update(
        attachments::table
            .filter(attachments::id.eq(id))
            .filter(attachments::thumbnail_due_at.is_not_null()),
    )
    .set((
        attachments::thumbnail_key.eq(key),
        attachments::thumbnail_due_at.eq(None::<NaiveDateTime>),
    ))
    .execute(conn)
}

/// How many thumbnails are still to be made (for the benchmark and checks).
pub fn thumbnails_due(conn: &mut AnyConnection) -> QueryResult<i64> {
    attachments::table
        .filter(attachments::thumbnail_due_at.is_not_null())
        .count()
        .get_result(conn)
}

/// What registering an object before writing it found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Touch {
    /// Registered (or refreshed): write the object (or keep the one there).
    Ready,
    /// A sweep is deleting this object right now: try again shortly.
    Busy,
}

const LIVE: &str = "live";
const DOOMED: &str = "doomed";

/// Registers `key` as in use from `now` (run inside a write transaction).
/// A key a sweep doomed less than `doom_timeout` ago is busy; one doomed
/// longer ago belongs to a sweep that died, and is taken back.
pub fn touch(
    conn: &mut AnyConnection,
    key: &str,
    now: NaiveDateTime,
    doom_timeout: chrono::Duration,
) -> QueryResult<Touch> {
    let fresh = (
        attachment_objects::object_key.eq(key),
        attachment_objects::state.eq(LIVE),
        attachment_objects::touched_at.eq(now),
    );
    on_each_backend!(conn, |c| diesel::insert_into(attachment_objects::table)
        .values(fresh)
        .on_conflict_do_nothing()
        .execute(c)?);
    let (state, at): (String, NaiveDateTime) = locked!(
        conn,
        attachment_objects::table
            .find(key)
            .select((attachment_objects::state, attachment_objects::touched_at)),
        first
    )?;
    if state == DOOMED && at > now - doom_timeout {
        return Ok(Touch::Busy);
    }
    diesel::update(attachment_objects::table.find(key))
        .set((
            attachment_objects::state.eq(LIVE),
            attachment_objects::touched_at.eq(now),
        ))
        .execute(conn)?;
    Ok(Touch::Ready)
}

/// Dooms up to `limit` objects untouched since `cutoff` that no row points
/// at, each in one conditional write (of two sweeps, one dooms it), and
/// returns them with the time they were doomed at (to the microsecond,
/// as both backends keep it); with them, doomed objects whose sweep died
/// before `stale` (to delete again).
pub fn doom_orphans(
    conn: &mut AnyConnection,
    cutoff: NaiveDateTime,
    stale: NaiveDateTime,
    now: NaiveDateTime,
    limit: i64,
) -> QueryResult<(Vec<String>, NaiveDateTime)> {
    use chrono::SubsecRound;
    let now = now.trunc_subsecs(6);
    let unreferenced = || {
        not(exists(
            attachments::table.filter(
                attachments::object_key
                    .eq(attachment_objects::object_key)
                    .or(attachments::thumbnail_key.eq(attachment_objects::object_key.nullable())),
            ),
        ))
    };
    let candidates: Vec<String> = attachment_objects::table
        .filter(
            (attachment_objects::state
                .eq(LIVE)
                .and(attachment_objects::touched_at.lt(cutoff)))
            .or(attachment_objects::state
                .eq(DOOMED)
                .and(attachment_objects::touched_at.lt(stale))),
        )
        .filter(unreferenced())
        .order(attachment_objects::touched_at.asc())
        .limit(limit)
        .select(attachment_objects::object_key)
        .load(conn)?;
    let mut doomed = Vec::new();
    for key in candidates {
        let n = diesel::update(
            attachment_objects::table
                .filter(attachment_objects::object_key.eq(&key))
                .filter(
                    (attachment_objects::state
                        .eq(LIVE)
                        .and(attachment_objects::touched_at.lt(cutoff)))
                    .or(attachment_objects::state
                        .eq(DOOMED)
                        .and(attachment_objects::touched_at.lt(stale))),
                )
                .filter(unreferenced()),
        )
        .set((
            attachment_objects::state.eq(DOOMED),
            attachment_objects::touched_at.eq(now),
        ))
        .execute(conn)?;
        if n == 1 {
            doomed.push(key);
        }
    }
    Ok((doomed, now))
}

/// Forgets a doomed object once it is deleted, unless an upload took it
/// back meanwhile (then its time is not `doomed_at`).
pub fn forget_doomed(
    conn: &mut AnyConnection,
    key: &str,
    doomed_at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::delete(
        attachment_objects::table
            .filter(attachment_objects::object_key.eq(key))
            .filter(attachment_objects::state.eq(DOOMED))
            .filter(attachment_objects::touched_at.eq(doomed_at)),
    )
    .execute(conn)
}

/// Every registered key (for checks).
pub fn registered(conn: &mut AnyConnection) -> QueryResult<Vec<(String, String)>> {
    attachment_objects::table
        .select((attachment_objects::object_key, attachment_objects::state))
        .load(conn)
}
