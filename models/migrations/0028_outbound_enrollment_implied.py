from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0027_outbound_mailbox_guard')]

    initial = False

    operations = [
        ops.AlterField(
            model_name='OutboundMessage',
            name='enrollment',
            field=fields.ForeignKeyField('models.Enrollment', source_field='enrollment_id', null=True, db_constraint=False, to_field='id', related_name='messages', on_delete=OnDelete.NO_ACTION),
        ),
        ops.RunSQL(  # Tortoise's AlterField above changes only its model state: the constraint goes here. Only the
            # campaign planner writes `enrollment_id`, for enrollments it read under the workspace's planning lock;
            # enrollments are deleted only by /forget and retention, which take that lock and set the column to NULL
            # themselves. The check was a locked key lookup per row: a sixth of PostgreSQL's work inserting a day's
            # campaign plan. The unique (enrollment, step) index stays.
            "ALTER TABLE outbound_message DROP CONSTRAINT outbound_message_enrollment_id_fkey",
            reverse_sql="""
            UPDATE outbound_message m SET enrollment_id = NULL
            WHERE enrollment_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM enrollment e WHERE e.id = m.enrollment_id);
            ALTER TABLE outbound_message ADD CONSTRAINT outbound_message_enrollment_id_fkey
                FOREIGN KEY (enrollment_id) REFERENCES enrollment (id) ON DELETE SET NULL
            """,
        ),
    ]
