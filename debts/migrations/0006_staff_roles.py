"""The two staff roles as groups with their permissions (see tipiportal.roles)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

from tipiportal.roles import ADMINISTRATOR_PERMISSIONS, ADMINISTRATORS, AGENT_PERMISSIONS, AGENTS


def create_roles(apps, schema_editor):
    # Permissions are normally created after all migrations: create them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for name, codes in ((AGENTS, AGENT_PERMISSIONS), (ADMINISTRATORS, ADMINISTRATOR_PERMISSIONS)):
        group, _ = group_model.objects.get_or_create(name=name)
        for code in codes:
            app_label, codename = code.split(".")
            group.permissions.add(permission_model.objects.get(content_type__app_label=app_label, codename=codename))


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("debts", "0005_alter_debt_options"),
        ("payments", "0004_alter_tipiclient_options"),
    ]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
