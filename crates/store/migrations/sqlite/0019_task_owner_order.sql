-- A search of one owner's tasks (a key worker's, a team's, a circle member's) is paged soonest due
-- first. With the due date and id in the owner's index, a page is read in order straight off the
-- index and the search stops at the page, instead of reading and sorting every task the owner
-- holds (hundreds for a key worker) for each page.
DROP INDEX tasks_owner_user;
DROP INDEX tasks_owner_team;
DROP INDEX tasks_owner_member;
CREATE INDEX tasks_owner_user ON tasks (owner_user_id, status, due_on, id);
CREATE INDEX tasks_owner_team ON tasks (owner_team_id, status, due_on, id);
CREATE INDEX tasks_owner_member ON tasks (owner_member_id, status, due_on, id);
