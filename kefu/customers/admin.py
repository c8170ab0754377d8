from django.contrib import admin

from kefu.customers.models import Customer

admin.site.register(Customer)
