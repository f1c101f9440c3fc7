from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0026_outbound_lead_implied')]

    initial = False

    operations = [
        ops.AlterField(
            model_name='OutboundMessage',
            name='mailbox',
            field=fields.ForeignKeyField('models.Mailbox', source_field='mailbox_id', db_constraint=False, to_field='id', related_name='outbound', on_delete=OnDelete.NO_ACTION),
        ),
        ops.RunSQL(  # Tortoise's AlterField above changes only its model state: the constraint goes here. Every
            # outbound row named its mailbox through a locked key check (a sixth of PostgreSQL's work inserting a day's
            # campaign plan, as much in a day's warmup plan), yet mailboxes are never deleted (retired). What the
            # constraint kept — a mailbox with mail is not deleted — a check at the delete keeps, with its error.
            """
            ALTER TABLE outbound_message DROP CONSTRAINT outbound_message_mailbox_id_fkey;
            CREATE FUNCTION mailbox_keeps_its_mail() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF EXISTS (SELECT 1 FROM gone JOIN outbound_message m ON m.mailbox_id = gone.id) THEN
                    RAISE foreign_key_violation USING
                        MESSAGE = 'a mailbox with outbound mail cannot be deleted (retire it)',
                        TABLE = 'outbound_message', CONSTRAINT = 'outbound_message_mailbox_id_fkey';
                END IF;
                RETURN NULL;
            END $$;
            CREATE TRIGGER mailbox_keeps_its_mail AFTER DELETE ON mailbox
                REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION mailbox_keeps_its_mail()
            """,
            reverse_sql="""
            DROP TRIGGER mailbox_keeps_its_mail ON mailbox;
            DROP FUNCTION mailbox_keeps_its_mail();
            ALTER TABLE outbound_message ADD CONSTRAINT outbound_message_mailbox_id_fkey
                FOREIGN KEY (mailbox_id) REFERENCES mailbox (id) ON DELETE RESTRICT
            """,
        ),
    ]
