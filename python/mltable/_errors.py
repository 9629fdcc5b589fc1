"""The one error the module raises for a bad MLTable or a transformation it cannot do."""


class UserErrorException(ValueError):
    """Named as Azure's mltable names it, so `except UserErrorException` in scripts works."""


MLTableError = UserErrorException
