-- Bookings say whether the flight is flown under instrument flight rules and whether any of it
-- is at night, so that the dispatch rules ask the compliance engine the right question
-- (14 CFR 61.57(b) night, 61.57(c) instrument currency).
alter table bookings
    add column flight_rules text not null default 'vfr',
    add column night boolean not null default false,
    add constraint bookings_flight_rules_check check (flight_rules in ('vfr', 'ifr'));
