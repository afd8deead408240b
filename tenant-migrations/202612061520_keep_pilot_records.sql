-- A pilot's logbook, certificates, medicals and endorsements are records a school keeps (14 CFR
-- 61.51, 61.189 for instructors' records): deleting the user must not delete them. The user
-- delete answers 409 while any exist (deactivate the user instead), as flight_crew already does.
alter table logbook_entries
    drop constraint logbook_entries_person_id_fkey,
    add constraint logbook_entries_person_id_fkey
        foreign key (person_id) references users (id) on delete restrict;
alter table pilot_certificates
    drop constraint pilot_certificates_person_id_fkey,
    add constraint pilot_certificates_person_id_fkey
        foreign key (person_id) references users (id) on delete restrict;
alter table medical_certificates
    drop constraint medical_certificates_person_id_fkey,
    add constraint medical_certificates_person_id_fkey
        foreign key (person_id) references users (id) on delete restrict;
alter table endorsements
    drop constraint endorsements_person_id_fkey,
    add constraint endorsements_person_id_fkey
        foreign key (person_id) references users (id) on delete restrict;
