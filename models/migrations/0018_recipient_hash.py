from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0017_warmup_sent')]

    initial = False

    operations = [
        ops.AddField(
            model_name='OutboundMessage',
            name='recipient_hash',
            field=fields.CharField(default='', db_default='', max_length=80),
        ),
    ]
