-- 0013_day_starts_when: a new ticket is written once, not twice.
--
-- tickets_day_starts (0009) set a new ticket's last_day and last_day_count
-- by an UPDATE of the row its INSERT had just written: the row and its
-- tickets_last_day entry (0012) written again, and tickets_day_rolls'
-- program run for the UPDATE, a fifth of bt_report_create.  The
-- library's INSERT now gives both columns itself, and the trigger only
-- corrects an INSERT that did not (an import, a hand-written statement),
-- so every ticket still starts on its day.
DROP TRIGGER tickets_day_starts;
CREATE TRIGGER tickets_day_starts AFTER INSERT ON tickets
    WHEN new.last_day IS NOT max(coalesce(new.last_occurred_at, new.created_at), 0) / 86400000
      OR new.last_day_count IS NOT new.occurrence_count
BEGIN
    UPDATE tickets SET
        last_day = max(coalesce(new.last_occurred_at, new.created_at), 0) / 86400000,
        last_day_count = new.occurrence_count
    WHERE id = new.id;
END;
