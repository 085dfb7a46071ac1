"""The permission proof: what moto cannot show about IAM, checked offline.

moto enforces no IAM policy, permissions boundary, key policy or condition
key, so a green apply test says nothing about a real account. This package
proves two things about a deployment's policy documents (read from a plan of
the real example, :mod:`devkit.permissions.documents`):

* every document is valid against AWS's Service Authorization Reference:
  actions exist, resources match the actions' resource types, condition keys
  apply (:mod:`devkit.permissions.reference`);
* every AWS call the code makes (recorded while it runs,
  :mod:`devkit.permissions.calls`, and found in its source,
  :mod:`devkit.permissions.scan`) and every call a service makes on the
  module's behalf (declared with the page of AWS's documentation that says
  so, :mod:`devkit.permissions.service_calls`) is allowed by the policies
  that AWS evaluates for it (:mod:`devkit.permissions.evaluate`,
  :mod:`devkit.permissions.proof`).
"""
