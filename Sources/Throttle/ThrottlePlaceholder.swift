enum ThrottlePlaceholder {}
