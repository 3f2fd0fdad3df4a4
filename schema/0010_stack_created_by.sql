-- 0010_stack_created_by.sql - the "created by" frame of a debug=2 stack is told apart from
-- the frames on the stack.
--
-- stacks.created_by: 1 on the frame a debug=2 dump prints after "created by" (the go
-- statement that started the goroutine: it is stored last, after the innermost-first
-- frames, and is not on the stack itself). Stacks stored before 0010 keep 0 on every
-- frame: their last frame may be a creator that is not marked.

ALTER TABLE stacks ADD COLUMN created_by INTEGER NOT NULL DEFAULT 0;
