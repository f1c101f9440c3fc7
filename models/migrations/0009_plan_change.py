from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index, PartialIndex

class Migration(migrations.Migration):
    dependencies = [('models', '0008_monitoring')]

    initial = False

    operations = [
        ops.CreateModel(
            name='PlanChange',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('workspace_id', fields.IntField()),
            ],
            options={'table': 'plan_change', 'app': 'models', 'indexes': [Index(fields=['workspace_id', 'id'])], 'pk_attr': 'id', 'table_description': "Something a workspace's campaign plan depends on changed: one row per statement and workspace, written by"},
            bases=['Model'],
        ),
        ops.RemoveIndex(
            model_name='Enrollment',
            name='enrollment_campaign_due',
            fields=None,
        ),
        ops.RunSQL(  # the campaign planner's due reads: each campaign's first steps in order, its follow-ups per
            # sticky mailbox in order (replacing `enrollment_campaign_due`)
            """
            CREATE INDEX enrollment_first_due ON enrollment (campaign_id, next_due_at, id)
                WHERE state = 'active' AND mailbox_id IS NULL;
            CREATE INDEX enrollment_follow_up_due ON enrollment (campaign_id, mailbox_id, next_due_at, id)
                WHERE state = 'active' AND mailbox_id IS NOT NULL;
            """,
            reverse_sql="DROP INDEX IF EXISTS enrollment_first_due; DROP INDEX IF EXISTS enrollment_follow_up_due;",
        ),
        ops.RunSQL(  # what the campaign planner's memo reads; its own writes (it sets `mailfleet.planning`) log nothing
            """
            CREATE FUNCTION plan_changed_enrollments() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF coalesce(current_setting('mailfleet.planning', true), '') <> 'on' THEN
                    INSERT INTO plan_change (workspace_id)
                    SELECT DISTINCT c.workspace_id FROM campaign c WHERE c.id IN (SELECT campaign_id FROM changed);
                END IF;
                RETURN NULL;
            END $$;
            CREATE TRIGGER plan_enrollment_inserted AFTER INSERT ON enrollment
                REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION plan_changed_enrollments();
            CREATE TRIGGER plan_enrollment_updated AFTER UPDATE ON enrollment
                REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION plan_changed_enrollments();
            CREATE TRIGGER plan_enrollment_deleted AFTER DELETE ON enrollment
                REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION plan_changed_enrollments();

            CREATE FUNCTION plan_changed_messages() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF coalesce(current_setting('mailfleet.planning', true), '') <> 'on' THEN
                    INSERT INTO plan_change (workspace_id) SELECT DISTINCT workspace_id FROM changed;
                END IF;
                RETURN NULL;
            END $$;
            CREATE TRIGGER plan_message_inserted AFTER INSERT ON outbound_message
                REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION plan_changed_messages();
            CREATE TRIGGER plan_message_deleted AFTER DELETE ON outbound_message
                REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION plan_changed_messages();

            CREATE FUNCTION plan_changed_message() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF coalesce(current_setting('mailfleet.planning', true), '') <> 'on' THEN
                    INSERT INTO plan_change (workspace_id) VALUES (NEW.workspace_id);
                END IF;
                RETURN NULL;
            END $$;
            CREATE TRIGGER plan_message_moved AFTER UPDATE ON outbound_message FOR EACH ROW
                WHEN ((NEW.status = 'cancelled') IS DISTINCT FROM (OLD.status = 'cancelled')
                    OR NEW.scheduled_at IS DISTINCT FROM OLD.scheduled_at
                    OR NEW.mailbox_id IS DISTINCT FROM OLD.mailbox_id
                    OR NEW.workspace_id IS DISTINCT FROM OLD.workspace_id)
                EXECUTE FUNCTION plan_changed_message();
            """,
            reverse_sql="""
            DROP TRIGGER IF EXISTS plan_enrollment_inserted ON enrollment;
            DROP TRIGGER IF EXISTS plan_enrollment_updated ON enrollment;
            DROP TRIGGER IF EXISTS plan_enrollment_deleted ON enrollment;
            DROP TRIGGER IF EXISTS plan_message_inserted ON outbound_message;
            DROP TRIGGER IF EXISTS plan_message_deleted ON outbound_message;
            DROP TRIGGER IF EXISTS plan_message_moved ON outbound_message;
            DROP FUNCTION IF EXISTS plan_changed_enrollments();
            DROP FUNCTION IF EXISTS plan_changed_messages();
            DROP FUNCTION IF EXISTS plan_changed_message();
            """,
        ),
    ]
