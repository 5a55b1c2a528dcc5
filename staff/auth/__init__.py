"""The staff login (/gestion/admin/login/, the Django admin's too): throttled per account and per
address, then a TOTP code (django-otp) for staff who enrolled, and for administrators when
STAFF_OTP_REQUIRED (production). Nobody is logged in before both factors pass."""
