from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0014_outbox_vacuum')]

    initial = False

    operations = [
        ops.AlterField(
            model_name='OutboundMessage',
            name='campaign',
            field=fields.ForeignKeyField('models.Campaign', source_field='campaign_id', null=True, db_constraint=False, to_field='id', related_name=False, on_delete=OnDelete.NO_ACTION),
        ),
        ops.AlterField(
            model_name='OutboundMessage',
            name='workspace',
            field=fields.ForeignKeyField('models.Workspace', source_field='workspace_id', db_constraint=False, to_field='id', related_name=False, on_delete=OnDelete.NO_ACTION),
        ),
        ops.RunSQL(  # Tortoise's AlterField above changes only its model state: the constraints go here. Both are
            # implied by constraints the row keeps (mailbox → its workspace, enrollment → its campaign), workspaces
            # and campaigns are never deleted, and each check was a locked index lookup per inserted row (over half
            # of PostgreSQL's work in a day's warmup plan). The columns and their indexes stay.
            """
            ALTER TABLE outbound_message DROP CONSTRAINT outbound_message_workspace_id_fkey;
            ALTER TABLE outbound_message DROP CONSTRAINT outbound_message_campaign_id_fkey
            """,
            reverse_sql="""
            ALTER TABLE outbound_message ADD CONSTRAINT outbound_message_workspace_id_fkey
                FOREIGN KEY (workspace_id) REFERENCES workspace (id) ON DELETE CASCADE;
            ALTER TABLE outbound_message ADD CONSTRAINT outbound_message_campaign_id_fkey
                FOREIGN KEY (campaign_id) REFERENCES campaign (id) ON DELETE SET NULL
            """,
        ),
    ]
