from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0007_graduated_at')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Alert',
            name='acked_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Alert',
            name='acked_by',
            field=fields.ForeignKeyField('models.Person', source_field='acked_by_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL),
        ),
        ops.AddField(
            model_name='Alert',
            name='resolved_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Domain',
            name='health_changed_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Domain',
            name='health_factor',
            field=fields.FloatField(default=1.0, db_default=1.0),
        ),
        ops.AddField(
            model_name='Domain',
            name='health_reason',
            field=fields.CharField(default='', db_default='', max_length=64),
        ),
        ops.AddField(
            model_name='Mailbox',
            name='health_changed_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Mailbox',
            name='health_factor',
            field=fields.FloatField(default=1.0, db_default=1.0),
        ),
        ops.AddField(
            model_name='Mailbox',
            name='health_reason',
            field=fields.CharField(default='', db_default='', max_length=64),
        ),
    ]
