-- API keys carry their own list of permissions, always. A key created without a list used to
-- mean "every permission of the owner, as they are at each use", so a key limited to a few
-- permissions could mint an unlimited one. The service now stores the creator's permissions
-- at creation; keys made before get their owner's permissions of today. (Expand step: a
-- replica of the previous release may still write a null during a rollout; the service reads a
-- null as before, and a later migration adds `not null`.)
update api_keys k
set permissions = array(
    select distinct p
    from user_roles ur
    join roles r on r.id = ur.role_id, unnest(r.permissions) p
    where ur.user_id = k.user_id
    order by p
)
where permissions is null;
