-- Deleting an aircraft must never delete its maintenance history (inspection programme and
-- compliance, squawks, MEL deferrals, the maintenance log: records an operator must keep, 14 CFR
-- 91.417). These foreign keys cascaded; they now restrict, so the delete answers 409 and the
-- aircraft is retired instead. An aircraft with no such record (added by mistake) can still be
-- deleted, its meter readings with it.
alter table inspection_items
    drop constraint inspection_items_aircraft_id_fkey,
    add constraint inspection_items_aircraft_id_fkey
        foreign key (aircraft_id) references aircraft (id) on delete restrict;
alter table squawks
    drop constraint squawks_aircraft_id_fkey,
    add constraint squawks_aircraft_id_fkey
        foreign key (aircraft_id) references aircraft (id) on delete restrict;
alter table mel_deferrals
    drop constraint mel_deferrals_aircraft_id_fkey,
    add constraint mel_deferrals_aircraft_id_fkey
        foreign key (aircraft_id) references aircraft (id) on delete restrict;
alter table maintenance_logs
    drop constraint maintenance_logs_aircraft_id_fkey,
    add constraint maintenance_logs_aircraft_id_fkey
        foreign key (aircraft_id) references aircraft (id) on delete restrict;
