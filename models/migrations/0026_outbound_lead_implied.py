from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0025_ramp_mark_read_errors')]

    initial = False

    operations = [
        ops.AlterField(
            model_name='OutboundMessage',
            name='lead',
            field=fields.ForeignKeyField('models.Lead', source_field='lead_id', null=True, db_constraint=False, to_field='id', related_name=False, on_delete=OnDelete.NO_ACTION),
        ),
        ops.RunSQL(  # Tortoise's AlterField above changes only its model state: the constraint goes here. Only the
            # campaign planner writes `lead_id`, always its enrollment's lead (enrollment → lead keeps it true), and
            # the check was a locked index lookup per row: a sixth of PostgreSQL's work inserting a day's campaign
            # plan. Whoever deletes leads sets `lead_id` to NULL itself (`engine.compliance`). The index stays.
            "ALTER TABLE outbound_message DROP CONSTRAINT outbound_message_lead_id_fkey",
            reverse_sql="""
            UPDATE outbound_message m SET lead_id = NULL
            WHERE lead_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM lead l WHERE l.id = m.lead_id);
            ALTER TABLE outbound_message ADD CONSTRAINT outbound_message_lead_id_fkey
                FOREIGN KEY (lead_id) REFERENCES lead (id) ON DELETE SET NULL
            """,
        ),
    ]
