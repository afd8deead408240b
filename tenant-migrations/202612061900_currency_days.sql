-- Issue 14: the compliance engine reads a per-person, per-day summary of the logbook's recency
-- counts instead of every entry (docs/compliance.md, "What the engine reads"). Every rule of
-- src/compliance/currency counts per day (61.57(a), (b): landings per day; (c): sums over
-- calendar months; 61.56: the latest day), so one row per person, day and aircraft kind (category,
-- class, type, tailwheel) gives the same answers as the entries: about a third of the rows for a
-- pilot flying three times a day. Kept on write by statement-level triggers over the
-- statement's transition tables (an import of 10,000 entries updates it in one statement), in
-- the same transaction, so it is never behind the logbook.
create table currency_days (
    person_id uuid not null references users (id) on delete cascade,
    date date not null,
    -- Null for a training-device session (it counts like a flight in any category).
    category text,
    class text,
    type_code text,
    tailwheel boolean not null,
    -- How many entries the row sums; the row goes when it reaches 0.
    entries integer not null,
    day_landings integer not null,
    day_full_stop_landings integer not null,
    night_full_stop_landings integer not null,
    approaches integer not null,
    holds integer not null,
    -- Counts of entries with the flag set (counts, not booleans, so a deleted entry subtracts).
    intercept_track integer not null,
    ipc integer not null,
    flight_review integer not null,
    -- The row as the compliance engine reads it, packed (flights::service::decode_packed): the
    -- day as int4 days since 2000-01-01, the eight counts above as int4 (big-endian), tailwheel
    -- as one byte, then category, class and type code each as an int2 byte length (-1 for
    -- null) and the bytes (ASCII: their CHECK constraints on logbook_entries allow nothing
    -- else, so `decode(..., 'escape')` is the identity). One `string_agg` of these is one value
    -- on the wire instead of thirteen arrays of one element per row: PostgreSQL sends each
    -- array element through its own send call and buffer, which for a busy pilot's 25 months
    -- cost more than reading the rows (docs/benchmarks.md).
    packed bytea generated always as (
        int4send(date - date '2000-01-01') || int4send(day_landings)
        || int4send(day_full_stop_landings) || int4send(night_full_stop_landings)
        || int4send(approaches) || int4send(holds) || int4send(intercept_track) || int4send(ipc)
        || int4send(flight_review)
        || case when tailwheel then '\x01'::bytea else '\x00'::bytea end
        || coalesce(int2send(octet_length(category)::int2) || decode(category, 'escape'), '\xffff'::bytea)
        || coalesce(int2send(octet_length(class)::int2) || decode(class, 'escape'), '\xffff'::bytea)
        || coalesce(int2send(octet_length(type_code)::int2) || decode(type_code, 'escape'), '\xffff'::bytea)
    ) stored,
    -- No CHECK that the counts are not negative: PostgreSQL checks the row an upsert proposes
    -- before it finds the conflict, and a subtraction proposes negative counts. The tests
    -- compare this table with the logbook after every scenario instead.
    constraint currency_days_key unique nulls not distinct (person_id, date, category, class, type_code, tailwheel)
);

-- Adds the statement's new rows and subtracts its old ones, one upsert per statement. The
-- category and class of a training-device session (no flight time, simulator time) are null, as
-- the engine counts it. A person being deleted (the users row already gone, their summary rows
-- cascading with it) is skipped.
create function logbook_currency_days() returns trigger
    language plpgsql as $$
declare
    source text := case tg_op
        when 'INSERT' then 'select r.*, 1 as s from new_rows r'
        when 'DELETE' then 'select r.*, -1 as s from old_rows r'
        else 'select r.*, 1 as s from new_rows r union all select r.*, -1 as s from old_rows r'
    end;
begin
    execute format(
        'insert into currency_days as d (person_id, date, category, class, type_code, tailwheel,
             entries, day_landings, day_full_stop_landings, night_full_stop_landings, approaches,
             holds, intercept_track, ipc, flight_review)
         select g.* from (
             select person_id, date,
                    case when total_minutes = 0 and simulator_minutes > 0 then null else category end as category,
                    case when total_minutes = 0 and simulator_minutes > 0 then null else class end as class,
                    type_code, tailwheel,
                    sum(s), sum(s * day_landings), sum(s * day_full_stop_landings),
                    sum(s * night_full_stop_landings), sum(s * approaches), sum(s * holds),
                    sum(case when intercept_track then s else 0 end),
                    sum(case when ipc then s else 0 end),
                    sum(case when flight_review then s else 0 end)
               from (%s) r
              group by 1, 2, 3, 4, 5, 6) g
          where exists (select 1 from users u where u.id = g.person_id)
         on conflict on constraint currency_days_key do update set
             entries = d.entries + excluded.entries,
             day_landings = d.day_landings + excluded.day_landings,
             day_full_stop_landings = d.day_full_stop_landings + excluded.day_full_stop_landings,
             night_full_stop_landings = d.night_full_stop_landings + excluded.night_full_stop_landings,
             approaches = d.approaches + excluded.approaches,
             holds = d.holds + excluded.holds,
             intercept_track = d.intercept_track + excluded.intercept_track,
             ipc = d.ipc + excluded.ipc,
             flight_review = d.flight_review + excluded.flight_review', source);
    if tg_op <> 'INSERT' then
        delete from currency_days d
         using (select distinct person_id, date from old_rows) o
         where d.person_id = o.person_id and d.date = o.date and d.entries = 0;
    end if;
    return null;
end $$;

create trigger logbook_entries_currency_insert after insert on logbook_entries
    referencing new table as new_rows
    for each statement execute function logbook_currency_days();
create trigger logbook_entries_currency_update after update on logbook_entries
    referencing old table as old_rows new table as new_rows
    for each statement execute function logbook_currency_days();
create trigger logbook_entries_currency_delete after delete on logbook_entries
    referencing old table as old_rows
    for each statement execute function logbook_currency_days();

-- The entries already logged.
insert into currency_days (person_id, date, category, class, type_code, tailwheel, entries,
    day_landings, day_full_stop_landings, night_full_stop_landings, approaches, holds,
    intercept_track, ipc, flight_review)
select person_id, date, c.category, c.class, type_code, tailwheel, count(*), sum(day_landings),
       sum(day_full_stop_landings), sum(night_full_stop_landings), sum(approaches), sum(holds),
       count(*) filter (where intercept_track), count(*) filter (where ipc),
       count(*) filter (where flight_review)
  from logbook_entries r,
       lateral (select case when r.total_minutes = 0 and r.simulator_minutes > 0 then null else r.category end as category,
                       case when r.total_minutes = 0 and r.simulator_minutes > 0 then null else r.class end as class) c
 group by person_id, date, c.category, c.class, type_code, tailwheel;
