from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import PartialIndex

class Migration(migrations.Migration):
    dependencies = [('models', '0011_fault')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='OutboundMessage',
            index=PartialIndex(fields=['mailbox_id', 'scheduled_at', 'id'], name='outbound_queued_mailbox', condition={'status': 'queued'}),
        ),
    ]
