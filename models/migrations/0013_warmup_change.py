from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0012_outbox_claim')]

    initial = False

    operations = [
        ops.CreateModel(
            name='WarmupChange',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('workspace_id', fields.IntField()),
            ],
            options={'table': 'warmup_change', 'app': 'models', 'indexes': [Index(fields=['workspace_id', 'id'])], 'pk_attr': 'id', 'table_description': 'Something the warmup plan of a workspace depends on changed among its outbound messages: one row per'},
            bases=['Model'],
        ),
        ops.RunSQL(  # what the warmup planner's memo reads; its own inserts (it sets `mailfleet.warmup_planning`)
            # log nothing. The campaign planner's log (`plan_change`, 0009) is separate: each planner deletes the
            # rows it read, so one cannot consume the other's.
            """
            CREATE FUNCTION warmup_changed_messages() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF coalesce(current_setting('mailfleet.warmup_planning', true), '') <> 'on' THEN
                    INSERT INTO warmup_change (workspace_id) SELECT DISTINCT workspace_id FROM changed;
                END IF;
                RETURN NULL;
            END $$;
            CREATE TRIGGER warmup_message_inserted AFTER INSERT ON outbound_message
                REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION warmup_changed_messages();
            CREATE TRIGGER warmup_message_deleted AFTER DELETE ON outbound_message
                REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION warmup_changed_messages();

            CREATE FUNCTION warmup_changed_message() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                INSERT INTO warmup_change (workspace_id) VALUES (NEW.workspace_id);
                IF NEW.workspace_id IS DISTINCT FROM OLD.workspace_id THEN
                    INSERT INTO warmup_change (workspace_id) VALUES (OLD.workspace_id);
                END IF;
                RETURN NULL;
            END $$;
            CREATE TRIGGER warmup_message_moved AFTER UPDATE ON outbound_message FOR EACH ROW
                WHEN ((NEW.status = 'cancelled') IS DISTINCT FROM (OLD.status = 'cancelled')
                    OR NEW.scheduled_at IS DISTINCT FROM OLD.scheduled_at
                    OR NEW.mailbox_id IS DISTINCT FROM OLD.mailbox_id
                    OR NEW.workspace_id IS DISTINCT FROM OLD.workspace_id)
                EXECUTE FUNCTION warmup_changed_message();
            """,
            reverse_sql="""
            DROP TRIGGER IF EXISTS warmup_message_inserted ON outbound_message;
            DROP TRIGGER IF EXISTS warmup_message_deleted ON outbound_message;
            DROP TRIGGER IF EXISTS warmup_message_moved ON outbound_message;
            DROP FUNCTION IF EXISTS warmup_changed_messages();
            DROP FUNCTION IF EXISTS warmup_changed_message();
            """,
        ),
    ]
