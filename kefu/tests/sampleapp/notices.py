from kefu.notifications.kinds import notice_kind

DEDUCTION_DUE = notice_kind("sample_deduction_due", "Deduction due", "Deduction %(ref)s is due: %(subject)s")
